"""ODT (LibreOffice's conversion of the generated DOCX files): body blocks from content.xml, meta.xml metadata."""

from __future__ import annotations

import pytest

from tasks.formats.base import Hints
from tasks.formats.odt import FORMAT
from tests.formats.conftest import SAMPLES, Corpus
from tests.formats.documents import score, specs


@pytest.mark.slow
def test_every_body_block_verbatim_in_order_without_furniture(converted: Corpus) -> None:
    """Slow: the session's LibreOffice conversions take ~1 s a document and format on a shared machine."""
    for spec in converted.specs:
        data = converted.data(spec, "odt")
        assert FORMAT.sniff(data), spec.name
        extracted = FORMAT.extract(data, Hints(name=f"{spec.name}.odt"))
        result = score(spec, extracted.text, extracted.title, extracted.author)
        assert result.recovered == 1.0, spec.name
        assert result.in_order, spec.name
        assert not result.furniture_left, spec.name
        assert result.title_right, (spec.name, extracted.title)
        assert result.author_right, (spec.name, extracted.author)
        assert extracted.published == spec.created.isoformat()


def test_notes_comments_and_spacing_elements() -> None:
    from tests.formats.documents import minimal_odt

    data = minimal_odt(
        [
            "Kept<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>NOTE</text:p>"
            '</text:note-body></text:note> after<text:s text:c="3"/>spaces',
            "<office:annotation><text:p>COMMENT</text:p></office:annotation>Annotated",
            '<text:s text:c="999999999"/>capped',
        ]
    )
    data = data.replace(b"xmlns:text=", b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text=')
    text = FORMAT.extract(data, Hints()).text
    assert text.split("\n\n")[:2] == ["Kept after   spaces", "Annotated"]
    assert len(text) < 2000


def test_the_committed_sample_reads_without_libreoffice() -> None:
    """files/sample.odt is LibreOffice's conversion of the first generated document, kept for machines without it."""
    spec = specs(1)[0]
    extracted = FORMAT.extract((SAMPLES / "sample.odt").read_bytes(), Hints(name="sample.odt"))
    result = score(spec, extracted.text, extracted.title, extracted.author)
    assert (result.recovered, result.in_order, result.furniture_left) == (1.0, True, False)
    assert (result.title_right, result.author_right) == (True, True)


def test_rendered_list_numbers_are_not_text() -> None:
    from tests.formats.documents import minimal_odt

    data = minimal_odt(["<text:number>1.</text:number>Numbered item"])
    assert FORMAT.extract(data, Hints()).text == "Numbered item"


def test_a_paragraph_styled_from_a_heading_style_is_the_title_fallback() -> None:
    from tests.formats.documents import minimal_odt
    from tests.formats.hostile import rezip

    content = (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:automatic-styles>'
        b'<style:style style:name="P3" style:family="paragraph" style:parent-style-name="Heading_20_1"/>'
        b"</office:automatic-styles><office:body><office:text>"
        b'<text:p text:style-name="P1">Before</text:p><text:p text:style-name="P3">Styled heading</text:p>'
        b"</office:text></office:body></office:document-content>"
    )
    data = rezip(minimal_odt(["x"], title=""), replace={"content.xml": content})
    assert FORMAT.extract(data, Hints()).title == "Styled heading"
