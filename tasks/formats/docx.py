"""Word documents (DOCX): body paragraphs, headings, list items and table cells in document order.

python-docx opens the package and reads its core properties; the text is walked from the
body's XML, because python-docx's `Paragraph.text` skips runs inside tracked insertions,
content controls and simple fields, and its tables repeat a merged cell once per grid
column it spans. Headers, footers, footnotes and comments live in parts of their own and
are never read; text boxes, deleted text and the VML fallback copies of drawings inside
body paragraphs are skipped too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.ooxml import check_package, core_metadata, has_main_part

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_MAIN_TYPES = (
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
)
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (_W + tag for tag in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))
_T, _TAB, _BR, _CR, _NB_HYPHEN = (_W + tag for tag in ("t", "tab", "br", "cr", "noBreakHyphen"))
# Inside a paragraph: deleted or moved-away text, text boxes (their own stories), the VML
# copy of a drawing, and properties.
_SKIPPED = frozenset(
    {_W + "del", _W + "moveFrom", _W + "txbxContent", _MC + "Fallback", _W + "pPr", _W + "rPr", _W + "sdtPr"}
)
# Containers whose children are body blocks, walked through transparently.
_BLOCK_WRAPPERS = frozenset({_W + "customXml", _W + "ins", _W + "moveTo", _W + "smartTag"})
_TITLE_STYLES = ("Title", "Heading")


def sniff(data: bytes) -> bool:
    return has_main_part(data, _MAIN_TYPES)


def extract(data: bytes, hints: Hints) -> Extracted:
    check_package(data, "DOCX document", _MAIN_TYPES)
    import docx
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except Exception as error:  # noqa: BLE001 - python-docx raises anything on a broken package
        raise Rejected(f"corrupt DOCX document: {type(error).__name__}: {error}") from None
    if body is None:
        raise Rejected("corrupt DOCX document: no body in word/document.xml")
    paragraphs: list[str] = []
    title: str | None = None
    for element in _blocks(body):
        text = paragraph_text(element).strip()
        if not text:
            continue
        paragraphs.append(text)
        if title is None and _is_heading(Paragraph(element, document)):
            title = text
    if not paragraphs:
        raise Rejected("no text: the DOCX document has no body text")
    core_title, author, published = core_metadata(document.part.package, document.core_properties)
    return Extracted(
        text="\n\n".join(paragraphs),
        title=core_title or title,
        author=author,
        published=published or hints.published,
    )


def _blocks(container: Any) -> Iterator[Any]:
    """The `w:p` elements of a story in reading order, table cells row by row."""
    for child in container:
        tag = child.tag
        if tag == _P:
            yield child
        elif tag == _TBL:
            yield from _table_blocks(child)
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)
        elif tag in _BLOCK_WRAPPERS:
            yield from _blocks(child)


def _table_blocks(table: Any) -> Iterator[Any]:
    for row in table.iter(_TR):
        if _nearest_table(row) is not table:
            continue
        for cell in row.iter(_TC):
            if _nearest_table(cell) is table and not _continues_merge(cell):
                yield from _blocks(cell)


def _nearest_table(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != _TBL:
        parent = parent.getparent()
    return parent


def _continues_merge(cell: Any) -> bool:
    """A cell that continues a vertical merge repeats nothing but is empty; it is skipped."""
    merge = cell.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and merge.get(f"{_W}val", "continue") == "continue"


def paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []
    _runs_text(paragraph, parts)
    return "".join(parts)


def _runs_text(element: Any, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag in _SKIPPED:
            continue
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NB_HYPHEN:
            parts.append("-")
        elif tag != _P:
            _runs_text(child, parts)


def _is_heading(paragraph: Any) -> bool:
    try:
        name = paragraph.style.name or ""
    except Exception:  # noqa: BLE001 - a broken styles part only costs the title fallback
        return False
    return name.startswith(_TITLE_STYLES)


FORMAT = FileFormat(name="docx", extensions=frozenset({".docx", ".dotx"}), sniff=sniff, extract=extract, isolated=True)
