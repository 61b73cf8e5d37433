"""The document benchmark's generator and scoring, without LibreOffice."""

from __future__ import annotations

import pytest

from benchmarks import documents, documents_corpus

pytestmark = pytest.mark.skipif(
    not documents_corpus.available_languages(), reason="needs ../shared/corpus/lang/sentences beside the checkout"
)


def test_specs_are_deterministic_and_cover_the_layouts() -> None:
    specs = documents_corpus.make_specs(9, seed=1)
    assert specs == documents_corpus.make_specs(9, seed=1)
    assert specs != documents_corpus.make_specs(9, seed=2)
    assert {s.two_column for s in specs} == {True, False} and {s.hyphenated for s in specs} == {True, False}
    assert {"ru", "el", "en"} <= {s.language for s in specs}
    for spec in specs:
        assert not any(a != b and a in b for a in spec.paragraphs for b in spec.paragraphs)


def test_a_perfect_reading_scores_full_marks_and_furniture_is_caught() -> None:
    spec = documents_corpus.make_specs(1, seed=3)[0]
    perfect = documents.Reading("\n\n".join(spec.blocks), spec.title, spec.author, spec.date, True)
    score = documents.Score()
    documents.score(spec, perfect, score)
    assert (score.found, score.furniture, score.ordered, score.title, score.author, score.date) == (
        score.expected, 0, 1, 1, 1, 1,
    )
    footer = documents_corpus.LANGUAGES[spec.language][1].format(n=1, m=2)
    leaky = documents.Reading(f"{spec.header}\n\n{perfect.text}\n\n{footer}")
    documents.score(spec, leaky, score)
    assert score.furniture == 1


def test_docx_is_written_with_header_footer_columns_and_hyphenation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    spec = next(s for s in documents_corpus.make_specs(3, seed=1) if s.two_column)
    path = tmp_path / "a.docx"
    documents_corpus.write_docx(spec, path)
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode()
        settings = archive.read("word/settings.xml").decode()
    assert 'w:num="2"' in body and "<w:tbl>" in body
    assert ("autoHyphenation" in settings) == spec.hyphenated
