"""DOCX: the body in document order without headers, footers, footnotes or comments; core properties."""

from __future__ import annotations

import io
import zipfile

import pytest

from tasks.formats.base import Hints, Rejected
from tasks.formats.docx import FORMAT
from tests.formats.conftest import Corpus
from tests.formats.documents import folded, score
from tests.formats.hostile import PNG


def member_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_every_body_block_verbatim_in_order_without_furniture(corpus: Corpus) -> None:
    for spec in corpus.specs:
        data = corpus.data(spec, "docx")
        assert all(marker in member_text(data) for marker in spec.furniture), "the file carries its furniture"
        extracted = FORMAT.extract(data, Hints(name=f"{spec.name}.docx"))
        result = score(spec, extracted.text, extracted.title, extracted.author)
        assert result.recovered == 1.0, spec.name
        assert result.in_order, spec.name
        assert not result.furniture_left, spec.name
        assert result.title_right, (spec.name, extracted.title)
        assert result.author_right, (spec.name, extracted.author)
        assert extracted.published == spec.created.isoformat()


def test_sniffed_from_its_content_types_not_its_name(corpus: Corpus) -> None:
    data = corpus.data(corpus.specs[0], "docx")
    assert FORMAT.sniff(data)
    assert not FORMAT.sniff(PNG)
    assert not FORMAT.sniff(b"PK\x03\x04" + bytes(100))


def test_a_png_named_docx_is_rejected() -> None:
    with pytest.raises(Rejected, match="not a DOCX document: no ZIP signature"):
        FORMAT.extract(PNG, Hints(name="report.docx"))


def test_tracked_changes_content_controls_and_merged_cells() -> None:
    import docx
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    document.add_paragraph("Kept ")
    paragraph = document.paragraphs[-1]._p
    paragraph.append(parse_xml(f"<w:ins {ns} w:id='1' w:author='a'><w:r><w:t>inserted</w:t></w:r></w:ins>"))
    paragraph.append(parse_xml(f"<w:del {ns} w:id='2' w:author='a'><w:r><w:delText>deleted</w:delText></w:r></w:del>"))
    document.element.body.insert(
        1,
        parse_xml(
            f"<w:sdt {ns}><w:sdtContent><w:p><w:r><w:t>In a content control</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        ),
    )
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "Tall cell"
    table.cell(0, 0).merge(table.cell(0, 0))
    table.cell(0, 1).text = "Right top"
    table.cell(1, 1).text = "Right bottom"
    wide = document.add_table(rows=1, cols=3)
    wide.cell(0, 0).merge(wide.cell(0, 2)).text = "Wide cell"
    out = io.BytesIO()
    document.save(out)
    blocks = [folded(block) for block in FORMAT.extract(out.getvalue(), Hints()).text.split("\n\n")]
    assert blocks == ["Kept inserted", "In a content control", "Tall cell", "Right top", "Right bottom", "Wide cell"]


def test_without_core_title_the_first_heading_is_the_title() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Preface without a heading style")
    document.add_heading("Real heading", 1)
    out = io.BytesIO()
    document.save(out)
    assert FORMAT.extract(out.getvalue(), Hints()).title == "Real heading"
