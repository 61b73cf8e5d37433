"""OpenDocument text (ODT): headings, paragraphs, list items and table cells from content.xml.

Page headers and footers live in styles.xml, which is never read; footnotes, endnotes
and comments sit inside body paragraphs (`text:note`, `office:annotation`) and are cut
out of them; tracked deletions and generated indexes (tables of contents, which repeat
the headings with page numbers) are skipped. Both XML parts go through `safe_xml`.
"""

from __future__ import annotations

from typing import Any

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.dates import iso_date
from tasks.formats.safe_xml import parse_xml
from tasks.formats.safe_zip import SafeZip, is_zip

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_MIMETYPES = (b"application/vnd.oasis.opendocument.text", b"application/vnd.oasis.opendocument.text-template")
_SNIFF_BYTES = 4096
_MANIFEST = "META-INF/manifest.xml"
_H, _P = _TEXT + "h", _TEXT + "p"
# Blocks that are not body text: tracked changes, generated indexes, declarations, forms.
_SKIPPED_BLOCKS = frozenset(
    {
        _TEXT + tag
        for tag in (
            "tracked-changes",
            "table-of-content",
            "alphabetical-index",
            "illustration-index",
            "table-index",
            "object-index",
            "user-index",
            "bibliography",
            "sequence-decls",
            "variable-decls",
            "user-field-decls",
            "dde-connection-decls",
        )
    }
    | {_OFFICE + "forms"}
)
# Inside a paragraph: notes, comments, drawings (text boxes are stories of their own) and the
# rendered list number LibreOffice may store (numbering is not text, as in DOCX).
_SKIPPED_INLINE = frozenset(
    {
        _TEXT + "note",
        _TEXT + "number",
        _OFFICE + "annotation",
        _OFFICE + "annotation-end",
        _DRAW + "frame",
        _DRAW + "custom-shape",
        _DRAW + "g",
        _TEXT + "tracked-changes",
        _TEXT + "change",
    }
)


def sniff(data: bytes) -> bool:
    if not is_zip(data):
        return False
    try:
        archive = SafeZip(data)
        mimetype = archive.read("mimetype", max_bytes=_SNIFF_BYTES) if archive.has("mimetype") else b""
    except Rejected:
        return False
    return mimetype.strip() in _MIMETYPES


def extract(data: bytes, hints: Hints) -> Extracted:
    archive = SafeZip(data, "ODT document")
    if not archive.has("content.xml"):
        raise Rejected("not an ODT document: the ZIP has no content.xml")
    if archive.has(_MANIFEST) and b"encryption-data" in archive.read(_MANIFEST):
        raise Rejected("encrypted ODT document: needs a password")
    content = parse_xml(archive.read("content.xml"), "ODT content.xml")
    body = content.find(f"{_OFFICE}body/{_OFFICE}text")
    if body is None:
        raise Rejected("not an ODT text document: content.xml has no office:text body")
    paragraphs: list[str] = []
    first_heading: list[str] = []
    _blocks(body, paragraphs, first_heading, _parent_styles(content))
    if not paragraphs:
        raise Rejected("no text: the ODT document has no body text")
    title, author, published = _metadata(archive)
    return Extracted(
        text="\n\n".join(paragraphs),
        title=title or (first_heading[0] if first_heading else None),
        author=author,
        published=published or hints.published,
    )


def _parent_styles(content: Any) -> dict[str, str]:
    """Automatic paragraph styles ("P3") to the named styles they derive from ("Heading_20_1")."""
    styles = content.find(f"{_OFFICE}automatic-styles")
    if styles is None:
        return {}
    return {
        style.get(_STYLE + "name"): style.get(_STYLE + "parent-style-name")
        for style in styles.iterfind(_STYLE + "style")
        if style.get(_STYLE + "name") and style.get(_STYLE + "parent-style-name")
    }


def _is_heading(element: Any, parents: dict[str, str]) -> bool:
    """A `text:h`, or a paragraph whose style is (or derives from) a Title or Heading style."""
    if element.tag == _H:
        return True
    style = element.get(_TEXT + "style-name") or ""
    return parents.get(style, style).replace("_20_", " ").startswith(("Title", "Heading"))


def _blocks(element: Any, paragraphs: list[str], first_heading: list[str], parents: dict[str, str]) -> None:
    for child in element:
        tag = child.tag
        if tag in (_H, _P):
            text = _inline_text(child).strip()
            if text:
                paragraphs.append(text)
                if not first_heading and _is_heading(child, parents):
                    first_heading.append(" ".join(text.split()))
        elif tag not in _SKIPPED_BLOCKS and isinstance(tag, str):
            _blocks(child, paragraphs, first_heading, parents)


def _inline_text(paragraph: Any) -> str:
    parts: list[str] = [paragraph.text or ""]
    for child in paragraph:
        tag = child.tag
        if tag == _TEXT + "s":
            parts.append(" " * _count(child.get(_TEXT + "c")))
        elif tag == _TEXT + "tab":
            parts.append("\t")
        elif tag == _TEXT + "line-break":
            parts.append("\n")
        elif tag not in _SKIPPED_INLINE and isinstance(tag, str):
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(value: str | None) -> int:
    """`text:c` of a `text:s`, capped: a hostile file must not make a gigabyte of spaces."""
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _metadata(archive: SafeZip) -> tuple[str | None, str | None, str | None]:
    if not archive.has("meta.xml"):
        return None, None, None
    meta = parse_xml(archive.read("meta.xml"), "ODT meta.xml").find(f"{_OFFICE}meta")
    if meta is None:
        return None, None, None

    def value(tag: str) -> str | None:
        text = meta.findtext(tag)
        return " ".join(text.split()) or None if text else None

    author = value(f"{_DC}creator") or value(f"{_META}initial-creator")
    published = iso_date(value(f"{_META}creation-date")) or iso_date(value(f"{_DC}date"))
    return value(f"{_DC}title"), author, published


FORMAT = FileFormat(name="odt", extensions=frozenset({".odt", ".ott"}), sniff=sniff, extract=extract, isolated=True)
