"""RTF (LibreOffice's conversion of the generated DOCX files): body and cells, \\info metadata.

No header, footer or footnote destination may leave text behind.
"""

from __future__ import annotations

import pytest

from tasks.formats.base import Hints
from tasks.formats.rtf import FORMAT
from tests.formats.conftest import SAMPLES, Corpus
from tests.formats.documents import score, specs


@pytest.mark.slow
def test_every_body_block_verbatim_in_order_without_furniture(converted: Corpus) -> None:
    """Slow: the session's LibreOffice conversions take ~1 s a document and format on a shared machine."""
    for spec in converted.specs:
        data = converted.data(spec, "rtf")
        assert FORMAT.sniff(data), spec.name
        extracted = FORMAT.extract(data, Hints(name=f"{spec.name}.rtf"))
        result = score(spec, extracted.text, extracted.title, extracted.author)
        assert result.recovered == 1.0, spec.name
        assert result.in_order, spec.name
        assert not result.furniture_left, spec.name
        assert result.title_right, (spec.name, extracted.title)
        assert result.author_right, (spec.name, extracted.author)
        assert extracted.published == spec.created.isoformat()


def test_escapes_code_pages_and_destinations() -> None:
    data = (
        b"{\\rtf1\\ansi\\ansicpg1251{\\fonttbl{\\f0 Arial;}{\\f1\\fcharset161 Greek;}}"
        b"{\\info{\\title \\'cf\\'f0\\'e8}{\\author Ann}}"
        b"{\\header HEADER}{\\footer FOOTER}"
        b"\\'cf\\'f0\\'e8\\'e2\\'e5\\'f2 {\\f1 \\'e1\\'e3}\\par\n"
        b"Caf\\u233?s {\\*\\unknown hidden} and {\\field{\\*\\fldinst HYPERLINK x}{\\fldrslt link}}\\par "
        b"A\\tab B\\line C\\~D\\emdash E{\\footnote NOTE}\\par "
        b"\\u55357?\\u56832? smile\\par}"
    )
    extracted = FORMAT.extract(data, Hints())
    assert extracted.text.split("\n\n") == ["Привет αγ", "Cafés  and link", "A\tB\nC\u00a0D\u2014E", "\U0001f600 smile"]
    assert (extracted.title, extracted.author) == ("При", "Ann")


def test_the_committed_sample_reads_without_libreoffice() -> None:
    """files/sample.rtf is LibreOffice's conversion of the first generated document, kept for machines without it."""
    spec = specs(1)[0]
    extracted = FORMAT.extract((SAMPLES / "sample.rtf").read_bytes(), Hints(name="sample.rtf"))
    result = score(spec, extracted.text, extracted.title, extracted.author)
    assert (result.recovered, result.in_order, result.furniture_left) == (1.0, True, False)
    assert (result.title_right, result.author_right) == (True, True)


def test_hidden_and_deleted_text_is_not_body_text() -> None:
    data = b"{\\rtf1 Shown {\\v hidden}{\\deleted gone} kept\\v still hidden\\plain  again\\par}"
    assert FORMAT.extract(data, Hints()).text == "Shown  kept again"
