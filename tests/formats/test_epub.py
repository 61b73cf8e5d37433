"""EPUB (LibreOffice's EPUB export of the generated DOCX files): spine chapters in order, OPF metadata."""

from __future__ import annotations

import pytest

from tasks.formats.base import Hints
from tasks.formats.epub import FORMAT
from tests.formats.conftest import SAMPLES, Corpus
from tests.formats.documents import score, specs


@pytest.mark.slow
def test_every_body_block_verbatim_in_order_without_furniture(converted: Corpus) -> None:
    """Slow: the session's LibreOffice conversions take ~1 s a document and format on a shared machine."""
    for spec in converted.specs:
        data = converted.data(spec, "epub")
        assert FORMAT.sniff(data), spec.name
        extracted = FORMAT.extract(data, Hints(name=f"{spec.name}.epub"))
        result = score(spec, extracted.text, extracted.title, extracted.author)
        assert result.recovered == 1.0, spec.name
        assert result.in_order, spec.name
        assert not result.furniture_left, spec.name
        assert result.title_right, (spec.name, extracted.title)
        assert result.author_right, (spec.name, extracted.author)


def test_chapters_in_spine_order_with_notes_left_out() -> None:
    from tests.formats.documents import minimal_epub

    data = minimal_epub(
        [
            ["First <em>chapter</em> opens.", 'With a note<a epub:type="noteref" href="#n1">1</a> mark.'],
            ["Second chapter."],
        ],
        title="Unknown Title",
    )
    extracted = FORMAT.extract(data, Hints())
    assert extracted.text.split("\n\n") == ["First chapter opens.", "With a note mark.", "Second chapter."]
    assert extracted.published == "2021-06-01"
    assert extracted.parts == ["OEBPS/text/chapter0.xhtml", "OEBPS/text/chapter1.xhtml"]


def test_the_committed_sample_reads_without_libreoffice() -> None:
    """files/sample.epub is LibreOffice's conversion of the first generated document, kept for machines without it."""
    spec = specs(1)[0]
    extracted = FORMAT.extract((SAMPLES / "sample.epub").read_bytes(), Hints(name="sample.epub"))
    result = score(spec, extracted.text, extracted.title, extracted.author)
    assert (result.recovered, result.in_order, result.furniture_left) == (1.0, True, False)
    assert (result.title_right, result.author_right) == (True, True)
