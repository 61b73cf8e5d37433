"""Hostile and broken files of every format this module set reads, each rejected with its reason.

The ZIP formats share the attacks: a zip bomb member, XXE and billion laughs in the XML the
format parses, `../` and absolute member names, truncation, emptiness, and bytes of another
format under the right name. Every rejection must come fast.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tasks.formats import docx, epub, odt, pptx, rtf
from tasks.formats.base import FileFormat, Hints, Rejected
from tests.formats.documents import (
    minimal_epub,
    minimal_odt,
    specs,
    write_docx,
    write_pptx,
)
from tests.formats.hostile import BILLION_LAUGHS, PNG, XXE, rezip, with_bomb

XXE_DOCTYPE = re.search(rb"<!DOCTYPE.*\]>", XXE).group(0)
LAUGHS_DOCTYPE = re.search(rb"<!DOCTYPE.*\]>", BILLION_LAUGHS, re.DOTALL).group(0)
# The XML member each format parses first, where an attack does the most harm.
MAIN_XML = {
    "docx": "word/document.xml",
    "pptx": "ppt/slides/slide1.xml",
    "odt": "content.xml",
    "epub": "OEBPS/content.opf",
}
FORMATS: dict[str, FileFormat] = {"docx": docx.FORMAT, "pptx": pptx.FORMAT, "odt": odt.FORMAT, "epub": epub.FORMAT}


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A readable file of each ZIP format."""
    folder = tmp_path_factory.mktemp("sound")
    spec = specs(1)[0]
    write_docx(spec, folder / "a.docx")
    write_pptx(spec, folder / "a.pptx")
    return {
        "docx": (folder / "a.docx").read_bytes(),
        "pptx": (folder / "a.pptx").read_bytes(),
        "odt": minimal_odt(["First paragraph.", "Second paragraph."]),
        "epub": minimal_epub([["One."], ["Two."]]),
    }


def rejected(kind: str, data: bytes) -> str:
    started = time.perf_counter()
    with pytest.raises(Rejected) as error:
        FORMATS[kind].extract(data, Hints(name=f"file.{kind}"))
    assert time.perf_counter() - started < 5
    return str(error.value)


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    declaration = re.match(rb"<\?xml[^>]*\?>\s*", xml)
    start = declaration.end() if declaration else 0
    return xml[:start] + doctype + xml[start:]


@pytest.mark.parametrize("kind", FORMATS)
def test_the_sound_file_is_read(kind: str, sound: dict[str, bytes]) -> None:
    assert FORMATS[kind].sniff(sound[kind])
    assert FORMATS[kind].extract(sound[kind], Hints()).text


@pytest.mark.parametrize("kind", FORMATS)
def test_a_zip_bomb_inside_is_refused(kind: str, sound: dict[str, bytes]) -> None:
    bomb = with_bomb(sound[kind], "media/zeros.bin", 110 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    assert "zip bomb refused" in rejected(kind, bomb)


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("doctype", [XXE_DOCTYPE, LAUGHS_DOCTYPE], ids=["xxe", "billion-laughs"])
def test_entities_in_the_xml_are_refused(kind: str, doctype: bytes, sound: dict[str, bytes]) -> None:
    import io
    import zipfile

    member = MAIN_XML[kind]
    original = zipfile.ZipFile(io.BytesIO(sound[kind])).read(member)
    reason = rejected(kind, rezip(sound[kind], replace={member: with_doctype(original, doctype)}))
    assert "XML entity expansion refused" in reason
    assert "root:" not in reason


def test_entities_in_an_epub_chapter_are_refused(sound: dict[str, bytes]) -> None:
    chapter = b'<?xml version="1.0"?>' + LAUGHS_DOCTYPE + b"<html><body><p>&lol9;</p></body></html>"
    reason = rejected("epub", rezip(sound["epub"], replace={"OEBPS/text/chapter0.xhtml": chapter}))
    assert "XML entity expansion refused: EPUB chapter OEBPS/text/chapter0.xhtml" in reason


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("name", ["../../evil.txt", "/etc/evil.txt"])
def test_unsafe_member_names_reject_the_file(kind: str, name: str, sound: dict[str, bytes]) -> None:
    assert rejected(kind, rezip(sound[kind], add={name: b"owned"})).startswith("unsafe member name")


def test_an_epub_spine_pointing_outside_the_book_is_refused(sound: dict[str, bytes]) -> None:
    import io
    import zipfile

    opf = zipfile.ZipFile(io.BytesIO(sound["epub"])).read("OEBPS/content.opf")
    hostile = rezip(
        sound["epub"], replace={"OEBPS/content.opf": opf.replace(b"text/chapter0.xhtml", b"../../../etc/passwd")}
    )
    assert rejected("epub", hostile).startswith("unsafe member name")


@pytest.mark.parametrize("kind", FORMATS)
def test_a_truncated_file_is_rejected(kind: str, sound: dict[str, bytes]) -> None:
    for cut in (len(sound[kind]) // 2, len(sound[kind]) - 30, 100):
        assert re.search(r"corrupt|not an? |no ZIP", rejected(kind, sound[kind][:cut]))


@pytest.mark.parametrize("kind", FORMATS)
def test_empty_files_and_other_formats_are_rejected(kind: str, sound: dict[str, bytes]) -> None:
    assert rejected(kind, b"").startswith("empty file")
    assert "no ZIP signature" in rejected(kind, PNG)
    other = "odt" if kind != "odt" else "docx"
    assert not FORMATS[kind].sniff(sound[other])
    assert rejected(kind, sound[other]).startswith("not a")


def test_each_zip_format_claims_only_its_own_files(sound: dict[str, bytes]) -> None:
    for kind, data in sound.items():
        assert [name for name, form in FORMATS.items() if form.sniff(data)] == [kind]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (PNG, "not an RTF document"),
        (b"{\\rtf1\\ansi Hello {\\b bold", "truncated RTF document: 2 group(s) left open"),
        (b"{\\rtf1" + b"{" * 200_000, "truncated RTF document"),
    ],
)
def test_broken_rtf_is_rejected(data: bytes, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(Rejected, match=re.escape(reason)):
        rtf.FORMAT.extract(data, Hints(name="a.rtf"))
    assert time.perf_counter() - started < 5


def test_hostile_rtf_controls_stay_bounded() -> None:
    assert rtf.FORMAT.extract(b"{\\rtf1\\uc999999999 \\u99999999999 \\u-99999 0123456789kept}", Hints()).text == "kept"
    with pytest.raises(Rejected, match="truncated RTF document"):
        rtf.FORMAT.extract(b"{\\rtf1 \\bin999999999 x}", Hints())
    spaces = b"{\\rtf1 " + b"\\u-1\\'3f" * 50_000 + b"}"
    started = time.perf_counter()
    rtf.FORMAT.extract(spaces, Hints())
    assert time.perf_counter() - started < 5


def test_a_docx_with_a_broken_part_is_rejected_with_a_reason(tmp_path: Path, sound: dict[str, bytes]) -> None:
    broken = rezip(sound["docx"], replace={"word/document.xml": b"<w:document><unclosed>"})
    assert rejected("docx", broken).startswith("corrupt DOCX document")


def test_password_protected_files_are_rejected_as_encrypted(sound: dict[str, bytes]) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
    assert rejected("docx", ole).startswith("encrypted DOCX document: needs a password")
    assert rejected("pptx", ole).startswith("encrypted PPTX presentation: needs a password")
    manifest = (
        b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b"<manifest:encryption-data/></manifest:manifest>"
    )
    assert (
        rejected("odt", rezip(sound["odt"], add={"META-INF/manifest.xml": manifest}))
        == "encrypted ODT document: needs a password"
    )
    encryption = (
        b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#">'
        b'<enc:EncryptedData><enc:CipherData><enc:CipherReference URI="OEBPS/text/chapter1.xhtml"/></enc:CipherData>'
        b"</enc:EncryptedData></encryption>"
    )
    assert "chapter OEBPS/text/chapter1.xhtml is encrypted" in rejected(
        "epub", rezip(sound["epub"], add={"META-INF/encryption.xml": encryption})
    )
    fonts_only = encryption.replace(b"text/chapter1.xhtml", b"fonts/a.otf")
    assert FORMATS["epub"].extract(rezip(sound["epub"], add={"META-INF/encryption.xml": fonts_only}), Hints()).text


@pytest.mark.parametrize("kind", FORMATS)
def test_a_file_without_text_is_rejected_with_that_reason(kind: str) -> None:
    import io

    empty: dict[str, bytes] = {"odt": minimal_odt([]), "epub": minimal_epub([[]])}
    if kind in ("docx", "pptx"):
        import docx as python_docx
        import pptx as python_pptx

        out = io.BytesIO()
        (python_docx.Document() if kind == "docx" else python_pptx.Presentation()).save(out)
        empty[kind] = out.getvalue()
    assert rejected(kind, empty[kind]).startswith("no text")
