"""The pure stage functions, without Prefect."""

from __future__ import annotations

from pathlib import Path

from tasks.clean import content_hash, normalize
from tasks.dedupe import mark_exact_duplicates
from storage.record import Document
from tasks.batch import Batch
from tasks.formats import DEFAULT_EXTENSIONS
from tasks.formats.text import split_date_header
from tasks.language import detect
from tasks.sources import LocalFolder


def test_date_header_is_taken_off() -> None:
    parts = split_date_header("  date 2025-01-22 Chinese President Xi Jinping said")
    assert parts.published == "2025-01-22"
    assert parts.text == "Chinese President Xi Jinping said"
    assert split_date_header("date 2025-13-45 text").published is None
    assert split_date_header("update 2025-01-22").published is None


def test_normalize_keeps_paragraphs() -> None:
    raw = "Cafe\u0301  one\r\n\tline\x07\r\n\r\n\r\n\r\nsecond   para  "
    assert normalize(raw) == "Caf\u00e9 one\nline\n\nsecond para"


def test_content_hash_ignores_case_width_and_spacing() -> None:
    assert content_hash("Hello  World\n\nAgain") == content_hash("hello world again")
    assert content_hash("ＡＢＣ") == content_hash("abc")
    assert content_hash("abc") != content_hash("abd")


def test_walk_skips_hidden_and_other_extensions(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "b.txt").write_text("x")
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "nested" / "deeper" / "c.HTML").write_text("x")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert [d.key for d in LocalFolder(tmp_path).entries(DEFAULT_EXTENSIONS)] == ["a.txt", "nested/deeper/c.HTML"]


def test_exact_duplicates_point_at_the_first_seen() -> None:
    docs = [Document(key=k, path=k, content_hash=h) for k, h in [("a", "1"), ("b", "1"), ("c", "2")]]
    batch = mark_exact_duplicates(Batch(docs), {"2": "old"})
    assert [d.duplicate_of for d in batch.documents] == [None, "a", "old"]


def test_language_is_deterministic_and_says_und() -> None:
    text = "Ceci est un article de presse écrit en français pour le test."
    assert {detect(text)[0] for _ in range(5)} == {"fr"}
    assert detect("")[0] == "und"
    assert detect("12345 67890 !!! ???")[0] == "und"
    assert detect("这是一个用中文写的新闻报道，用来测试语言识别。")[0] == "zh"


def test_an_optional_field_left_unset_keeps_a_stored_identity() -> None:
    """The hash a version was stored with before `pages` existed is the hash it has now."""
    doc = Document(key="a.txt", path="a.txt", text="words", content_hash="h", format="text")
    assert doc.record_hash() == "45b9cd5a7b44c31faa4bfe50fe9e8956747bc04c594138c9dcb24c341bc54e1f"
    doc.pages = 3
    assert doc.record_hash() != "45b9cd5a7b44c31faa4bfe50fe9e8956747bc04c594138c9dcb24c341bc54e1f"
