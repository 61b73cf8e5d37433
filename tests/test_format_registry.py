"""The format registry: which format reads a file, by its bytes and by its name."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tasks.formats as registry
from storage.record import Document
from tasks.extract import parse
from tasks.formats import DEFAULT_EXTENSIONS, FORMATS, Extracted, FileFormat, Hints, Rejected, extract_any, format_for
from tasks.formats import html, markdown, text

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
TODAY = (html.FORMAT, markdown.FORMAT, text.FORMAT)


def _fake_pdf(data: bytes, hints: Hints) -> Extracted:
    return Extracted(text=f"read {len(data)} bytes of {hints.name}", pages=1)


FAKE_PDF = FileFormat(
    name="pdf", extensions=frozenset({".pdf"}), sniff=lambda data: data.startswith(b"%PDF-"), extract=_fake_pdf
)


def test_default_extensions_are_every_registered_format_s_plus_extensionless() -> None:
    assert DEFAULT_EXTENSIONS == frozenset().union(*(f.extensions for f in FORMATS if f.by_default)) | {""}
    assert {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ""} <= DEFAULT_EXTENSIONS
    assert {".pdf", ".docx", ".odt", ".rtf", ".epub", ".pptx", ".eml"} <= DEFAULT_EXTENSIONS
    assert ".png" not in DEFAULT_EXTENSIONS


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("page.txt", b"<html><p>x</p></html>", "text"),
        ("page", b"<html><p>x</p></html>", "html"),
        ("notes.md", b"<p>x</p>", "markdown"),
        ("notes.html", b"# not a heading here", "html"),
        ("UPPER.MD", b"# x", "markdown"),
        ("odd.csv", b"a,b\n", "text"),
    ],
)
def test_a_textual_format_is_chosen_by_extension_else_sniffed(name: str, data: bytes, expected: str) -> None:
    assert format_for(name, data).name == expected


@pytest.mark.parametrize("name", ["scan.txt", "scan.html", "scan.md", "scan"])
def test_bytes_of_an_unread_binary_kind_are_rejected_whatever_the_extension(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "FORMATS", TODAY)
    with pytest.raises(Rejected, match=r"^binary file \(PDF\)$"):
        format_for(name, PDF)
    with pytest.raises(Rejected, match=r"^binary file \(PNG image\)$"):
        format_for(name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_a_binary_format_s_sniff_wins_over_the_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "FORMATS", (*TODAY, FAKE_PDF))
    assert format_for("scan.txt", PDF) is FAKE_PDF
    assert format_for("scan.html", PDF) is FAKE_PDF
    # The extension alone does not make a PDF: text named .pdf is sniffed as text.
    assert format_for("notes.pdf", b"plain words").name == "text"


def test_a_format_appended_to_the_table_is_picked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    def csv_rows(data: bytes, hints: Hints) -> Extracted:
        return Extracted(text=data.decode().replace(",", " "))

    csv = FileFormat(
        name="csv", extensions=frozenset({".csv"}), sniff=lambda data: False, extract=csv_rows, binary=False
    )
    monkeypatch.setattr(registry, "FORMATS", (*TODAY, csv, FAKE_PDF))
    assert format_for("table.csv", b"a,b\n") is csv
    chosen, found = extract_any(b"a,b\n1,2\n", Hints(name="table.csv"))
    assert (chosen.name, found.text) == ("csv", "a b\n1 2\n")
    chosen, found = extract_any(PDF, Hints(name="scan.bin"))
    assert (chosen.name, found.text, found.pages) == ("pdf", f"read {len(PDF)} bytes of scan.bin", 1)
    doc = Document(key="table.csv", path="table.csv")
    parse(doc, b"x,y")
    assert (doc.status, doc.format, doc.text) == ("active", "csv", "x y")


def test_extract_any_reads_each_format_of_today() -> None:
    chosen, page = extract_any(
        b'<html lang="de"><head><title>Hafen | Zeitung</title></head><body><p>Der Hafen &amp; die Stadt.</p></body></html>',
        Hints(name="saved"),
    )
    assert (chosen.name, page.title, page.language_hint, page.encoding) == ("html", "Hafen", "de", "utf-8")
    assert "Der Hafen & die Stadt." in page.text
    chosen, notes = extract_any(b"# Title\n\nSome **bold** words &amp; more.", Hints(name="notes.md"))
    assert (chosen.name, notes.text) == ("markdown", "Title\n\nSome bold words & more.")
    chosen, article = extract_any(b"date 2025-01-22\nHeadline here\n\nThe body.", Hints(name="a.txt"))
    assert (chosen.name, article.published, article.title, article.text) == (
        "text", "2025-01-22", "Headline here", "Headline here\n\nThe body."
    )


def test_a_file_refused_after_decoding_keeps_its_format_and_encoding() -> None:
    with pytest.raises(Rejected) as refused:
        extract_any(" \n".encode("utf-16"), Hints(name="blank.txt"))
    assert (str(refused.value), refused.value.encoding) == ("file holds only whitespace", "utf-16-le")
    doc = Document(key="blank.txt", path="blank.txt")
    parse(doc, b"")
    assert (doc.error, doc.format, doc.encoding) == ("empty file", "text", "utf-8")


def test_a_format_that_raises_rejects_only_that_document(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, hints: Hints) -> Extracted:
        raise ValueError("a parser bug")

    monkeypatch.setattr(registry, "FORMATS", (*TODAY, FileFormat("pdf", frozenset({".pdf"}), FAKE_PDF.sniff, broken)))
    doc = Document(key="scan.pdf", path="scan.pdf")
    parse(doc, PDF)
    assert (doc.status, doc.error, doc.format) == ("rejected", "could not parse pdf: ValueError", "pdf")


def test_the_registry_does_not_import_the_html_parsers() -> None:
    probe = "import sys, tasks.formats; print(sorted(m for m in ('trafilatura', 'lxml', 'bs4', 'ftfy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"
