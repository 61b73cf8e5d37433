"""PPTX: slide titles, then text by position (groups and tables included), then the speaker notes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tasks.formats.base import Hints
from tasks.formats.pptx import FORMAT
from tests.formats.documents import folded, pptx_blocks, specs, write_pptx


def test_slides_in_reading_order_with_notes_and_without_footers(tmp_path: Path) -> None:
    for spec in specs(7):
        path = tmp_path / f"{spec.name}.pptx"
        write_pptx(spec, path)
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert spec.furniture[1] in archive.read("ppt/slides/slide1.xml").decode(), "the deck carries a footer"
        extracted = FORMAT.extract(data, Hints(name=path.name))
        assert [folded(block) for block in extracted.text.split("\n\n")] == [folded(b) for b in pptx_blocks(spec)]
        assert spec.furniture[1] not in extracted.text
        assert (extracted.title, extracted.author, extracted.pages) == (spec.expected_title, spec.author, 2)
        assert extracted.published == spec.created.isoformat()


def test_without_core_properties_the_first_slide_title_is_the_title() -> None:
    import pptx

    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = "Opening slide"
    out = io.BytesIO()
    deck.save(out)
    extracted = FORMAT.extract(out.getvalue(), Hints())
    assert extracted.title == "Opening slide"
