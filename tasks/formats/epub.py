"""EPUB books: the spine's chapters in reading order, title, author and date from the OPF package.

`META-INF/container.xml` names the package document (OPF), whose spine lists the
chapters; each is XHTML. A chapter is read block by block (headings, paragraphs, list
items, table cells), not through the article extractor: a book chapter is all body, and
article extraction, tuned to drop a web page's furniture, dropped short paragraphs,
dialogue lines and headings of the generated test books. Footnotes (`epub:type`
footnote/endnote) and their reference marks are left out, as in the word-processor
formats. Every member name is checked when the archive is opened: a member named
`../../evil.txt` or `/etc/passwd` rejects the whole book.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.dates import iso_date
from tasks.formats.safe_xml import parse_xml, refuse_entities
from tasks.formats.safe_zip import SafeZip, is_zip

_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
_MIMETYPE = b"application/epub+zip"
_CHAPTER_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/x-dtbook+xml"})
_BLOCKS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li td th dt dd blockquote pre figcaption caption div section article header footer"
    " aside nav main address hr table tr ul ol dl figure body".split()
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_NOT_TEXT = frozenset({"head", "script", "style", "noscript", "template", "title"})
_NOTES = re.compile(r"\b(?:footnotes?|endnotes?|rearnotes?|noteref)\b")
_SNIFF_BYTES = 1024
_ENCRYPTION = "META-INF/encryption.xml"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# What converters write when a document has no title or author (LibreOffice: "Unknown Title").
_PLACEHOLDERS = frozenset({"unknown title", "unknown author", "untitled", "unknown", "anonymous"})


def sniff(data: bytes) -> bool:
    if not is_zip(data):
        return False
    try:
        archive = SafeZip(data)
        if archive.has("mimetype"):
            return archive.read("mimetype", max_bytes=_SNIFF_BYTES).strip() == _MIMETYPE
    except Rejected:
        return False
    return archive.has("META-INF/container.xml") and any(name.endswith(".opf") for name in archive.names())


def extract(data: bytes, hints: Hints) -> Extracted:
    archive = SafeZip(data, "EPUB book")
    if not archive.has("META-INF/container.xml"):
        raise Rejected("not an EPUB book: the ZIP has no META-INF/container.xml")
    container = parse_xml(archive.read("META-INF/container.xml"), "EPUB container.xml")
    rootfile = container.find(f"{_CONTAINER}rootfiles/{_CONTAINER}rootfile")
    package_path = rootfile.get("full-path") if rootfile is not None else None
    if not package_path or not archive.has(package_path):
        raise Rejected("corrupt EPUB book: container.xml names no package document in the archive")
    package = parse_xml(archive.read(package_path), f"EPUB package {package_path}")
    paragraphs: list[str] = []
    headings: list[str] = []
    parts: list[str] = []
    base = posixpath.dirname(package_path)
    spine = _spine(package, base)
    _refuse_encrypted_chapters(archive, spine)
    for path in spine:
        if not archive.has(path):
            parts.append(f"missing chapter: {path}")
            continue
        markup = archive.read(path)
        refuse_entities(markup, f"EPUB chapter {path}")
        chapter = read_chapter(_html_tree(markup))
        paragraphs.extend(chapter.paragraphs)
        headings.extend(chapter.headings)
        parts.append(path)
    if not any(not part.startswith("missing") for part in parts):
        raise Rejected("corrupt EPUB book: its spine names no chapter in the archive")
    if not paragraphs:
        raise Rejected("no text: the EPUB book's chapters hold no text")
    title, author, published = _metadata(package)
    return Extracted(
        text="\n\n".join(paragraphs),
        title=title or (headings[0] if headings else None) or _first_toc_entry(archive, package, base),
        author=author,
        published=published or hints.published,
        parts=parts,
    )


def _spine(package: Any, base: str) -> list[str]:
    """Archive paths of the spine's linear chapters, in reading order."""
    manifest = {
        item.get("id"): item
        for item in package.iterfind(f"{_OPF}manifest/{_OPF}item")
        if item.get("id") and item.get("href")
    }
    paths: list[str] = []
    for itemref in package.iterfind(f"{_OPF}spine/{_OPF}itemref"):
        item = manifest.get(itemref.get("idref"))
        if item is None or itemref.get("linear") == "no" or item.get("media-type") not in _CHAPTER_TYPES:
            continue
        href = unquote(item.get("href", "").split("#", 1)[0])
        path = posixpath.normpath(posixpath.join(base, href))
        if path.startswith(("../", "/")) or path == "..":
            raise Rejected(f"unsafe member name: spine item {href!r} points outside the book")
        if path not in paths:
            paths.append(path)
    return paths


def _refuse_encrypted_chapters(archive: SafeZip, spine: list[str]) -> None:
    """DRM-encrypted chapters read as noise; obfuscated fonts, also listed in encryption.xml, are harmless."""
    if not archive.has(_ENCRYPTION):
        return
    encryption = parse_xml(archive.read(_ENCRYPTION), "EPUB encryption.xml")
    for reference in encryption.iter("{http://www.w3.org/2001/04/xmlenc#}CipherReference"):
        path = posixpath.normpath(unquote(reference.get("URI", "")))
        if path in spine:
            raise Rejected(f"encrypted EPUB book (DRM): chapter {path} is encrypted")


@dataclass
class Chapter:
    paragraphs: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)


def _html_tree(markup: bytes) -> Any:
    """The XHTML parsed as HTML (lenient: `&nbsp;` without a DTD is common), or None."""
    from trafilatura.utils import load_html

    from tasks.decode import decode_html

    try:
        return load_html(_XML_DECLARATION.sub("", decode_html(markup)[0]))
    except ValueError:
        return None


def read_chapter(tree: Any) -> Chapter:
    """The chapter's blocks in order, each block's inline text joined into one paragraph."""
    chapter = Chapter()
    if tree is None:
        return chapter
    body = tree.find(".//body")
    line: list[str] = []
    _walk(body if body is not None else tree, chapter, line)
    _flush(chapter, line, "")
    return chapter


def _walk(element: Any, chapter: Chapter, line: list[str]) -> None:
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        if tag and name not in _NOT_TEXT and not _is_note(child):
            if name in _BLOCKS:
                _flush(chapter, line, "")
                line.append(child.text or "")
                _walk(child, chapter, line)
                _flush(chapter, line, name)
            elif name == "br":
                line.append("\n")
            else:
                line.append(child.text or "")
                _walk(child, chapter, line)
        line.append(child.tail or "")


def _is_note(element: Any) -> bool:
    kind = element.get(_EPUB_TYPE) or element.get("epub:type") or element.get("role") or ""
    return bool(_NOTES.search(kind))


def _flush(chapter: Chapter, line: list[str], block: str) -> None:
    text = "".join(line).strip()
    line.clear()
    if text:
        chapter.paragraphs.append(text)
        if block in _HEADINGS:
            chapter.headings.append(" ".join(text.split()))


def _first_toc_entry(archive: SafeZip, package: Any, base: str) -> str | None:
    """The first entry of the EPUB 3 navigation document: the first heading, where chapters mark none.

    LibreOffice writes headings into chapters as plain styled paragraphs, but lists them in
    the navigation document.
    """
    for item in package.iterfind(f"{_OPF}manifest/{_OPF}item"):
        if "nav" not in (item.get("properties") or "").split():
            continue
        path = posixpath.normpath(posixpath.join(base, unquote(item.get("href", "").split("#", 1)[0])))
        if not archive.has(path):
            return None
        markup = archive.read(path)
        refuse_entities(markup, f"EPUB navigation document {path}")
        tree = _html_tree(markup)
        entry = tree.find(".//nav//a") if tree is not None else None
        text = " ".join(entry.text_content().split()) if entry is not None else ""
        return text or None
    return None


def _metadata(package: Any) -> tuple[str | None, str | None, str | None]:
    metadata = package.find(f"{_OPF}metadata")
    if metadata is None:
        return None, None, None

    def first(tag: str) -> str | None:
        for element in metadata.iterfind(tag):
            text = " ".join("".join(element.itertext()).split())
            if text and text.lower() not in _PLACEHOLDERS:
                return text
        return None

    modified = next(
        (element.text for element in metadata.iterfind(f"{_OPF}meta") if element.get("property") == "dcterms:modified"),
        None,
    )
    published = iso_date(first(f"{_DC}date")) or iso_date(modified)
    return first(f"{_DC}title"), first(f"{_DC}creator"), published


FORMAT = FileFormat(name="epub", extensions=frozenset({".epub"}), sniff=sniff, extract=extract, isolated=True)
