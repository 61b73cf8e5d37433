"""Which files are read, as what: extensions, sniffing of extension-less files, Markdown."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from flows.ingest import ingest
from storage.access import export_records, version_of
from tasks.discover import extension_set
from tasks.formats import DEFAULT_EXTENSIONS, format_for
from tasks.formats.html import looks_like_html
from tasks.formats.markdown import markdown_to_text
from tasks.formats.sniff import binary_kind
from tasks.sources import LocalFolder, SourceEntry

STORY = "The harbour reopened on Monday after three weeks of repairs to the old stone quay."


def run(source: Path, db_url: str, **options: Any) -> dict[str, Any]:
    return ingest(source=str(source), db=db_url, retry_delay_seconds=0, **options)


def test_markdown_markup_is_removed_and_words_kept() -> None:
    source = (
        "---\ntitle: Front matter\n---\n"
        "# The *Big* Title #\n\n"
        "Some **bold**, __strong__, _emphasis_ and ~~struck~~ words; snake_case_name stays.\n"
        "A [link](https://example.com \"title\"), a [reference][r], <https://auto.example> and ![a chart](c.png).\n"
        "\\*Escaped\\* stars and `code *stars* _here_`.\n\n"
        "[r]: https://example.com/ref\n\n"
        "> quoted *text*\n\n"
        "- item one\n* item two\n+ [x] done\n1. first step\n\n"
        "Setext heading\n--------------\n\n"
        "| city | people |\n|---|--:|\n| Oslo | 700 |\n\n"
        "***\n"
    )
    assert markdown_to_text(source).split("\n") == [
        "The Big Title",
        "",
        "Some bold, strong, emphasis and struck words; snake_case_name stays.",
        "A link, a reference, https://auto.example and .",
        "*Escaped* stars and code *stars* _here_.",
        "",
        "",
        "quoted text",
        "",
        "item one",
        "item two",
        "done",
        "1. first step",
        "",
        "Setext heading",
        "",
        "",
        "city  people",
        "Oslo  700",
        "",
        "",
        "",
    ]


def test_code_fences_are_kept_as_text() -> None:
    source = "Before.\n\n```python\ndef f(*args, **kw):\n    return _x_  # [not](a link)\n```\n~~~\n# not a heading\n~~~\nAfter."
    assert markdown_to_text(source) == (
        "Before.\n\ndef f(*args, **kw):\n    return _x_  # [not](a link)\n# not a heading\nAfter."
    )


def test_unclosed_fence_keeps_the_rest_as_text() -> None:
    assert markdown_to_text("Intro\n```\n**kept** as is") == "Intro\n**kept** as is"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.txt", b"<html><p>x</p></html>", "text"),
        ("a.TEXT", b"x", "text"),
        ("a.md", b"# x", "markdown"),
        ("a.markdown", b"# x", "markdown"),
        ("a.HTM", b"x", "html"),
        ("a.xhtml", b"x", "html"),
        ("README", b"Just words.", "text"),
        ("page", b"  <!-- saved -->\n<!DOCTYPE html><html><p>x</p>", "html"),
        ("page", b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', "html"),
        ("page", b"\xef\xbb\xbf<div class=a>x</div>", "html"),
        ("page", "<p>x</p>".encode("utf-16"), "html"),
        ("notes.csv", b"<b>bold</b> in a csv", "html"),
        ("notes.csv", b"a,b\n1,2\n", "text"),
        ("maths", b"<x and y> are not tags", "text"),
    ],
)
def test_format_is_the_extension_or_else_sniffed(name: str, data: bytes, expected: str) -> None:
    assert format_for(name, data).name == expected


def test_html_sniffing_needs_a_tag_at_the_start() -> None:
    assert looks_like_html(b"<HTML>")
    assert not looks_like_html(b"Text that mentions <html> later.")
    assert not looks_like_html(b"<paragraph> is not a tag we know")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"GIF89a\x01\x00", "GIF image"),
        (b"PK\x03\x04\x14\x00", "ZIP archive"),
        (b"\x1f\x8b\x08\x00", "gzip archive"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "WebP image"),
        (b"\x00" * 257 + b"ustar\x0000", "tar archive"),
        (b"\x7fELF\x02\x01", "ELF executable"),
        (b"\x00\x00\x00\x18ftypmp42", "MP4/QuickTime media"),
    ],
)
def test_binary_formats_are_named(data: bytes, kind: str) -> None:
    assert binary_kind(data) == kind


def test_text_is_not_taken_for_binary() -> None:
    for data in (b"MZ is a river", b"ID3 tags hold the title", b"BZh, said nobody", b"PK fire", "\ufeffhi".encode("utf-16")):
        assert binary_kind(data) is None


def test_walk_takes_configured_extensions_and_extensionless_files(tmp_path: Path) -> None:
    for name in ["a.txt", "b.md", "c.markdown", "d.xhtml", "e.HTM", "README", "f.png", "g.pdf", "h.csv"]:
        (tmp_path / name).write_text("x")

    def walk(folder: Path, extensions: frozenset[str] = DEFAULT_EXTENSIONS) -> list[SourceEntry]:
        return list(LocalFolder(folder).entries(extensions))

    # .pdf is a default extension since issue 15; images (.png) are read only when asked for.
    assert sorted(d.key for d in walk(tmp_path)) == ["README", "a.txt", "b.md", "c.markdown", "d.xhtml", "e.HTM", "g.pdf"]
    assert sorted(d.key for d in walk(tmp_path, extension_set(["CSV", ".md"]))) == ["b.md", "h.csv"]
    assert sorted(d.key for d in walk(tmp_path, extension_set([".txt", ""]))) == ["README", "a.txt"]


def test_extension_set_normalises() -> None:
    from tasks import containers, discover

    assert extension_set(None) == discover.DEFAULT_EXTENSIONS == DEFAULT_EXTENSIONS | containers.EXTENSIONS
    assert extension_set(["TXT", ".Md", " html ", ""]) == frozenset({".txt", ".md", ".html", ""})


def test_flow_reads_each_format_and_sniffs_extensionless_files(tmp_path: Path, sqlite_url: str) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.md").write_text(f"# Harbour news\n\n{STORY.replace('three weeks', '**three weeks**')}\n")
    (folder / "page.xhtml").write_text(
        f'<?xml version="1.0"?><html><head><title>Quay</title></head><body><p>{STORY} Again.</p></body></html>'
    )
    (folder / "README").write_text(f"{STORY} Once more, as plain text.")
    (folder / "SAVED_PAGE").write_bytes(f"<!doctype html><title>Saved</title><p>{STORY} Saved.</p>".encode("utf-16"))
    (folder / "scan").write_bytes(b"%PDF-1.4\n1 0 obj\n")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    report = run(folder, sqlite_url)

    records = {r["key"]: r for r in export_records(sqlite_url)}
    assert set(records) == {"notes.md", "page.xhtml", "README", "SAVED_PAGE", "scan"}
    assert records["notes.md"]["text"] == f"Harbour news\n\n{STORY}"
    assert records["notes.md"]["format"] == "markdown"
    assert (records["page.xhtml"]["format"], records["page.xhtml"]["title"]) == ("html", "Quay")
    assert records["README"]["format"] == "text"
    assert (records["SAVED_PAGE"]["format"], records["SAVED_PAGE"]["encoding"]) == ("html", "utf-16-le")
    assert records["SAVED_PAGE"]["title"] == "Saved"
    assert records["scan"]["status"] == "rejected"
    assert {r["key"]: r["reason"] for r in report["rejected"]} == {"scan": "corrupt PDF: data format error"}


def test_flow_ingests_only_the_extensions_asked_for(tmp_path: Path, sqlite_url: str) -> None:
    folder = tmp_path / "only"
    folder.mkdir()
    (folder / "a.txt").write_text(STORY)
    (folder / "b.md").write_text(f"{STORY} In Markdown.")
    (folder / "README").write_text(f"{STORY} Without an extension.")
    run(folder, sqlite_url, extensions=["md"])
    assert [r["key"] for r in export_records(sqlite_url)] == ["b.md"]
    assert version_of(sqlite_url, "b.md")["text"] == f"{STORY} In Markdown."


def test_nested_emphasis_is_removed() -> None:
    assert markdown_to_text("**bold *and em* inside** and ***both***") == "bold and em inside and both"


@pytest.mark.parametrize("line", ["*a " * 50_000, "[" * 150_000, "![" * 50_000, "`x" * 50_000, "__a " * 40_000])
def test_long_lines_of_unmatched_markers_take_bounded_time(line: str) -> None:
    started = time.perf_counter()
    markdown_to_text(line)
    assert time.perf_counter() - started < 5
