"""Generate word-processor documents with known text, then convert them with LibreOffice.

Each document is built with python-docx from real sentences of one language
(`../shared/corpus/lang/sentences/<code>.txt`), with what raw extractors trip over:
a running header, a page-number footer ("Page N of M" in the document's language),
automatic hyphenation (justified text, `w:autoHyphenation`), two-column sections
(`w:cols w:num="2"`), headings, a bulleted list, a small table, and title, author and
date in the core properties. The expected body — headings, paragraphs, list items and
table cells in document order — is kept beside each file, so a reader is scored against
what the author wrote, not against another extractor.

The same seed always gives the same documents; the benchmark tunes on one seed and
reports on another.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ROOT.parent / "shared" / "corpus" / "lang" / "sentences"

# Language code → (docx language tag, "Page N of M" pattern). Latin, Cyrillic and Greek.
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("en-US", "Page {n} of {m}"),
    "de": ("de-DE", "Seite {n} von {m}"),
    "fr": ("fr-FR", "Page {n} sur {m}"),
    "es": ("es-ES", "Página {n} de {m}"),
    "it": ("it-IT", "Pagina {n} di {m}"),
    "nl": ("nl-NL", "Pagina {n} van {m}"),
    "pl": ("pl-PL", "Strona {n} z {m}"),
    "ru": ("ru-RU", "Страница {n} из {m}"),
    "el": ("el-GR", "Σελίδα {n} από {m}"),
}
AUTHORS = ("Ada Lovelace", "Jan Novák", "Марина Петрова", "Γιώργος Παπαδόπουλος", "Lucía Fernández")


@dataclass
class Spec:
    """One generated document and the text it must come back with."""

    name: str
    language: str
    title: str
    author: str
    date: str
    header: str
    two_column: bool
    hyphenated: bool
    # Body blocks in document order: headings, paragraphs, list items, table cells.
    blocks: list[str]
    # Only the running paragraphs (no headings, list items or cells), for the per-kind score.
    paragraphs: list[str]


def _sentences(code: str) -> list[str]:
    """The language's sentences that print as written (no control or private-use characters)."""
    lines = (SENTENCES / f"{code}.txt").read_text(encoding="utf-8").splitlines()
    return [
        line.strip()
        for line in lines
        if len(line.strip()) > 20 and not any(unicodedata.category(ch) in ("Cc", "Cf", "Co") for ch in line.strip())
        and "&#" not in line
    ]


def available_languages() -> list[str]:
    return [code for code in LANGUAGES if (SENTENCES / f"{code}.txt").exists()]


def make_specs(count: int, seed: int) -> list[Spec]:
    """`count` document specifications, deterministic in `seed`."""
    rng = random.Random(seed)
    codes = available_languages()
    pools = {code: _sentences(code) for code in codes}
    specs = []
    for i in range(count):
        code = codes[i % len(codes)]
        pool = pools[code]
        # Consecutive, non-overlapping runs of sentences: no paragraph is part of another.
        cursor = [rng.randrange(len(pool))]

        def paragraph(low: int = 3, high: int = 6) -> str:
            count = rng.randint(low, high)
            start = cursor[0] % (len(pool) - high)
            cursor[0] = start + count
            return " ".join(pool[start : start + count])

        def short() -> str:
            words = rng.choice(pool).rstrip(".!?;").split()
            return " ".join(words[: rng.randint(2, 5)])

        blocks: list[str] = []
        paragraphs: list[str] = []
        for section in range(rng.randint(2, 4)):
            blocks.append(short())
            for _ in range(rng.randint(3, 6)):
                text = paragraph()
                blocks.append(text)
                paragraphs.append(text)
            if section == 0:
                blocks.extend(short() for _ in range(3))  # list items
            if section == 1:
                blocks.extend(short() for _ in range(6))  # a 3 x 2 table's cells, row by row
        date = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        specs.append(
            Spec(
                name=f"doc-{seed}-{i:03d}-{code}",
                language=code,
                title=short().title() if code != "de" else short(),
                author=rng.choice(AUTHORS),
                date=date.isoformat(),
                header=f"{short()} ({date.year})",
                two_column=i % 3 == 1,
                hyphenated=i % 2 == 0,
                blocks=blocks,
                paragraphs=paragraphs,
            )
        )
    return specs


def write_docx(spec: Spec, path: Path) -> None:
    """The document as python-docx writes it, with LibreOffice-relevant settings in the XML."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Inches, Pt

    lang_tag, page_pattern = LANGUAGES[spec.language]
    document = docx.Document()
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = OxmlElement("w:lang")
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), lang_tag)
    rpr_default.append(lang)
    normal = document.styles["Normal"]
    normal.font.name = "Noto Serif"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    if spec.hyphenated:
        settings = document.settings.element
        hyphenation = OxmlElement("w:autoHyphenation")
        settings.insert(0, hyphenation)

    core = document.core_properties
    core.title = spec.title
    core.author = spec.author
    core.created = dt.datetime.fromisoformat(spec.date + "T09:00:00")

    section = document.sections[0]
    section.header.paragraphs[0].text = spec.header
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, rest = page_pattern.split("{n}")
    between, after = rest.split("{m}")
    footer.add_run(before)
    _field(footer, "PAGE")
    footer.add_run(between)
    _field(footer, "NUMPAGES")
    footer.add_run(after)
    if spec.two_column:
        cols = section._sectPr.find(qn("w:cols"))
        if cols is None:
            cols = OxmlElement("w:cols")
            section._sectPr.append(cols)
        cols.set(qn("w:num"), "2")
        cols.set(qn("w:space"), "567")

    paragraphs = set(spec.paragraphs)
    blocks = spec.blocks
    i = 0
    section_index = 0
    while i < len(blocks):
        heading = blocks[i]
        document.add_heading(heading, level=1)
        i += 1
        while i < len(blocks) and blocks[i] in paragraphs:
            body = document.add_paragraph(blocks[i])
            body.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            i += 1
        if section_index == 0:
            for item in blocks[i : i + 3]:
                document.add_paragraph(item, style="List Bullet")
            i += 3
        elif section_index == 1:
            table = document.add_table(rows=3, cols=2)
            table.style = "Table Grid"
            table.autofit = False
            for cell in table.columns[0].cells + table.columns[1].cells:
                cell.width = Inches(1.3)  # narrow enough for a column: wider ones are cut off
            for grid_column in table._tbl.tblGrid.findall(qn("w:gridCol")):
                grid_column.set(qn("w:w"), str(Inches(1.3).twips))
            for cell, text in zip((c for row in table.rows for c in row.cells), blocks[i : i + 6]):
                cell.text = text
            i += 6
            document.add_paragraph()
        section_index += 1
    document.save(str(path))


def _field(paragraph, instruction: str) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def convert(paths: list[Path], target: str, out: Path, timeout: float = 600) -> None:
    """Convert many files with one LibreOffice start, in a private profile (no clashes)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", target, "--outdir", str(out), *map(str, paths)],
            check=True, capture_output=True, timeout=timeout,
        )


# LibreOffice filter per target extension.
TARGETS = {"pdf": "pdf", "odt": "odt", "rtf": "rtf", "epub": "epub"}


def build(directory: Path, count: int, seed: int, formats: tuple[str, ...] = ("pdf", "odt", "rtf", "epub")) -> list[Spec]:
    """Write `count` documents of `seed` below `directory` (cached: rebuilt only when missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / "manifest.json"
    specs = make_specs(count, seed)
    if manifest.exists() and json.loads(manifest.read_text()) == [asdict(s) for s in specs] and all(
        (directory / f"{s.name}.{fmt}").exists() for s in specs for fmt in formats
    ):
        return specs
    sources = []
    for spec in specs:
        path = directory / f"{spec.name}.docx"
        write_docx(spec, path)
        sources.append(path)
    for fmt in formats:
        convert(sources, TARGETS[fmt], directory)
    manifest.write_text(json.dumps([asdict(s) for s in specs], ensure_ascii=False, indent=1))
    return specs
