"""PDF extraction on real PDFs: Word documents written here with python-docx and converted
by LibreOffice (running headers, page-number footers, hyphenation, two columns), plus a
committed encrypted file and hostile ones made with pypdf."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tasks.formats import pdf, pdf_layout
from tasks.formats.base import Hints, Rejected

FILES = Path(__file__).parent / "files"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (Debian libreoffice-writer-nogui)")

SENTENCES = [
    "The administration published its information about the reorganisation of the regional libraries.",
    "Well-known authors and unexpected newcomers were invited to the international conference.",
    "Participants discussed the responsibilities of municipal governments towards independent publishers.",
    "Several representatives emphasised that documentation must remain accessible to everybody.",
    "A comprehensive evaluation of the experimental programme will follow next year.",
    "Contributions from neighbouring municipalities were considerably higher than anticipated.",
    "The committee recommended extraordinary investments in digitalisation and preservation.",
    "Librarians demonstrated how volunteers catalogue photographs, manuscripts and correspondence.",
]


def paragraph_texts(count: int, offset: int = 0) -> list[str]:
    return [" ".join(SENTENCES[(i * 3 + j + offset) % len(SENTENCES)] for j in range(3)) for i in range(count)]


CELLS = [
    "Annual budget of the municipal library and of its four branches in the villages",
    "Forty thousand euros",
    "Books, periodicals and recordings for the children's department and the school libraries",
    "Twelve thousand euros",
]


def write_docx(
    path: Path, paragraphs: list[str], *, title: str, author: str, two_columns: bool, hyphenate: bool, heading: str, table: bool = False
) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    if hyphenate:
        document.settings.element.insert(0, OxmlElement("w:autoHyphenation"))
    section = document.sections[0]
    section.header.paragraphs[0].text = "Quarterly report of the library board"
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    if two_columns:
        cols = section._sectPr.find(qn("w:cols"))
        if cols is None:
            cols = OxmlElement("w:cols")
            section._sectPr.append(cols)
        cols.set(qn("w:num"), "2")
    document.add_heading(heading, level=1)
    for n, body in enumerate(paragraphs):
        document.add_paragraph(body).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if table and n == 2:
            grid = document.add_table(rows=2, cols=2)
            grid.style = "Table Grid"
            for cell, text in zip((c for row in grid.rows for c in row.cells), CELLS):
                cell.text = text
    document.save(str(path))


CASES = {
    "plain": dict(title="Library report", author="Ada Lovelace", two_columns=False, hyphenate=False),
    "hyphenated": dict(title="Hyphenated report", author="Jan Novák", two_columns=False, hyphenate=True),
    "columns": dict(title="Two columns", author="Lucía Fernández", two_columns=True, hyphenate=True),
    "untitled": dict(title="", author="", two_columns=False, hyphenate=False),
    "table": dict(title="With a table", author="Ada Lovelace", two_columns=False, hyphenate=False, table=True),
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    """Every case as a PDF, converted with one LibreOffice start."""
    if shutil.which("soffice") is None:
        pytest.skip("needs LibreOffice (Debian libreoffice-writer-nogui)")
    out = tmp_path_factory.mktemp("pdf")
    expected: dict[str, tuple[Path, list[str]]] = {}
    sources = []
    for n, (name, options) in enumerate(CASES.items()):
        heading = f"Findings of the {name} board"
        paragraphs = paragraph_texts(14, offset=n)
        source = out / f"{name}.docx"
        write_docx(source, paragraphs, heading=heading, **options)  # type: ignore[arg-type]
        sources.append(source)
        blocks = [heading, *paragraphs]
        if options.get("table"):
            blocks[4:4] = CELLS
        expected[name] = (out / f"{name}.pdf", blocks)
    profile = out / "profile"
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, sources)],
        check=True, capture_output=True, timeout=300,
    )
    return expected


@needs_soffice
@pytest.mark.parametrize("case", ["plain", "hyphenated", "columns", "table"])
def test_body_paragraphs_in_order_without_furniture(converted: dict, case: str) -> None:
    path, expected = converted[case]
    extracted = pdf.FORMAT.extract(path.read_bytes(), Hints(name=path.name))
    blocks = extracted.text.split("\n\n")
    assert blocks == expected
    assert "Quarterly report" not in extracted.text
    assert not re.search(r"\bPage \d", extracted.text)
    assert extracted.pages is not None and extracted.pages >= 2
    assert (extracted.title, extracted.author) == (CASES[case]["title"], CASES[case]["author"])
    assert extracted.published and re.fullmatch(r"\d{4}-\d{2}-\d{2}", extracted.published)


@needs_soffice
def test_title_falls_back_to_the_first_heading(converted: dict) -> None:
    path, expected = converted["untitled"]
    extracted = pdf.FORMAT.extract(path.read_bytes(), Hints())
    assert extracted.title == expected[0]


def test_line_end_hyphens() -> None:
    hyphenated, words = pdf_layout.hyphen_evidence("a well-known author and self-evident truth")
    join = lambda *lines: pdf_layout.join_lines(list(lines), hyphenated, words)  # noqa: E731
    assert join("the infor-", "mation desk") == "the information desk"
    assert join("the infor\ufffe", "mation desk") == "the information desk"
    assert join("a well-", "known fact") == "a well-known fact"  # seen hyphenated elsewhere
    assert join("a self\ufffe", "evident fact") == "a self-evident fact"
    assert join("the Max-", "Planck institute") == "the Max-Planck institute"
    assert join("score 2-", "1 today") == "score 2-1 today"
    assert join("she said -", "then left") == "she said - then left"
    assert pdf_layout.normalise_chars("e\ufb03cient \ufb01sh") == "efficient fish"


def test_encrypted_pdf_is_rejected() -> None:
    with pytest.raises(Rejected, match="^encrypted: needs a password$"):
        pdf.FORMAT.extract((FILES / "encrypted-aes256.pdf").read_bytes(), Hints())


@needs_soffice
def test_truncated_and_empty_pdfs_are_rejected(converted: dict) -> None:
    data = converted["plain"][0].read_bytes()
    with pytest.raises(Rejected, match="^corrupt PDF: "):
        pdf.FORMAT.extract(data[: len(data) // 3], Hints())
    with pytest.raises(Rejected, match="^empty file$"):
        pdf.FORMAT.extract(b"", Hints())
    with pytest.raises(Rejected, match="^corrupt PDF"):
        pdf.FORMAT.extract(b"%PDF-1.7\n", Hints())


def test_thousands_of_blank_pages_are_bounded() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5000):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    started = time.monotonic()
    with pytest.raises(Rejected, match=r"^no text in the first 100 of 5000 pages$"):
        pdf.FORMAT.extract(buffer.getvalue(), Hints())
    assert time.monotonic() - started < 5


def test_sniff() -> None:
    assert pdf.sniff(b"%PDF-1.4\n")
    assert not pdf.sniff(b"\x89PNG\r\n\x1a\n")


def test_line_end_hyphen_is_kept_when_the_document_is_not_hyphenated() -> None:
    lines = ["a stop-", "cock and a community-", "wide view"] + ["plain line"] * 40
    assert not pdf_layout.looks_hyphenated(lines)
    assert pdf_layout.join_lines(lines[:3], set(), set(), hyphenated_document=False) == "a stop-cock and a community-wide view"
    assert pdf_layout.join_lines(lines[:3], set(), set(), hyphenated_document=True) == "a stopcock and a communitywide view"


def test_suspended_hyphen_before_a_conjunction_is_kept() -> None:
    assert pdf_layout.join_lines(["aus Kunden-, Objekt\ufffe", "und Lieferantensicht"], set(), set()) == "aus Kunden-, Objekt- und Lieferantensicht"
