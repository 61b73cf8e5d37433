"""PDF: body text in reading order, without page furniture, with the document's metadata.

pdfium (through pypdfium2, Apache-2.0/BSD) gives each page's text with its own line
breaks and the boxes of its characters; `pdf_layout` turns those lines into paragraphs
in reading order and drops running headers, footers and page numbers; pages with no
text layer go through OCR (`ocr`). Metadata comes from the document information
dictionary, else from the XMP packet, else the title is the first page's largest line.

Only lines are asked for geometry (one rectangle query per line, not one per
character), which keeps the repairs cheap beside pdfium's own text extraction.
"""

from __future__ import annotations

import ctypes
import re
import statistics

from tasks.formats import pdf_layout as layout
from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.pdf_layout import Line

# Reading stops after this many pages (a document this long is read in part, and says so).
MAX_PAGES = 2000
# ... and after this many pages in a row with neither text nor anything to OCR.
MAX_BLANK_RUN = 100
_HEADING_RATIO = 1.15


def sniff(data: bytes) -> bool:
    # The header may follow up to 1 KB of junk, which readers (and pdfium) accept.
    return b"%PDF-" in data[:1024]


def extract(data: bytes, hints: Hints) -> Extracted:
    import pypdfium2 as pdfium

    if not data.strip():
        raise Rejected("empty file")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise _open_error(str(error)) from None
    try:
        return _read(document, data)
    finally:
        document.close()


def _open_error(message: str) -> Rejected:
    if "password" in message.lower():
        return Rejected("encrypted: needs a password")
    if "security" in message.lower():
        return Rejected("encrypted: unsupported security handler")
    detail = re.search(r"PDFium: ([^)]+)", message)
    return Rejected(f"corrupt PDF: {(detail.group(1) if detail else message).strip().lower()}")


def _read(document, data: bytes) -> Extracted:  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    from tasks.formats import ocr

    total = len(document)
    if total == 0:
        raise Rejected("corrupt PDF: no pages")
    pages: list[list[Line]] = []
    widths: list[float] = []
    scanned: list[int] = []
    notes: list[str] = []
    blank_run = 0
    unreadable = 0
    for index in range(min(total, MAX_PAGES)):
        try:
            page = document[index]
        except pdfium.PdfiumError:
            page = None
        lines, width = [], 612.0
        if page is not None:
            try:
                width, _height = page.get_size()
                lines = page_lines(page)
                if not lines and _has_images(page):
                    scanned.append(index)
            except pdfium.PdfiumError:
                page = None
            finally:
                if page is not None:
                    page.close()
        unreadable += page is None
        pages.append(lines)
        widths.append(width)
        blank_run = 0 if lines or index in scanned else blank_run + 1
        if blank_run >= MAX_BLANK_RUN:
            notes.append(f"stopped after {MAX_BLANK_RUN} pages in a row without text (page {index + 1} of {total})")
            break
    else:
        if total > MAX_PAGES:
            notes.append(f"read the first {MAX_PAGES} of {total} pages")
    if unreadable:
        notes.append(f"{unreadable} damaged pages skipped")

    ocr_texts: dict[int, str] = {}
    if scanned:
        if not ocr.available():
            if not any(pages):
                raise Rejected("no text layer: OCR is not installed")
            notes.append(f"{len(scanned)} scanned pages not read: OCR is not installed")
        else:
            ocr_texts = dict(zip(scanned, ocr.recognise(_render(document, index) for index in scanned)))
            notes.append(f"{len(scanned)} pages read by OCR")

    text = assemble(pages, widths, ocr_texts)
    if not text.strip():
        reason = "no text" if not scanned else "no text found by OCR"
        if len(pages) < total:
            raise Rejected(f"{reason} in the first {len(pages)} of {total} pages")
        raise Rejected(f"{reason} in {total} pages" if total > 1 else reason)
    title, author, published = _metadata(document, data)
    if not title:
        title = first_heading(pages[0]) if pages else None
    return Extracted(
        text=text,
        title=title,
        author=author,
        published=published,
        pages=total,
        parts=notes,
    )


def _has_images(page, limit: int = 1000) -> bool:  # type: ignore[no-untyped-def]
    """Whether a page without text holds an image (or a form that may): a scan to OCR.
    Only the first `limit` objects are looked at, so a page of a million paths is cheap."""
    import pypdfium2.raw as raw

    count = min(raw.FPDFPage_CountObjects(page.raw), limit)
    kinds = (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM)
    return any(raw.FPDFPageObj_GetType(raw.FPDFPage_GetObject(page.raw, i)) in kinds for i in range(count))


def _render(document, index: int):  # type: ignore[no-untyped-def]
    """One page as a 300 dpi grey image, rendered only when OCR gets to it (a scan of
    hundreds of pages never sits in memory at once)."""
    page = document[index]
    try:
        return page.render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        page.close()


def page_lines(page) -> list[Line]:  # type: ignore[no-untyped-def]
    """The page's visual lines with their boxes, top-down, in pdfium's content order."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        _, height = page.get_size()
        reader = _Geometry(textpage.raw, raw)
        lines: list[Line] = []
        start = 0
        for piece in re.split(r"(?<=\r\n)|(?<=[\ufffe\x02])", text):
            end = start + len(piece)
            body = piece.rstrip("\r\n")
            if body.strip():
                count = raw.FPDFText_CountRects(textpage.raw, start, len(body))
                rects = [r for r in (reader.rect(i) for i in range(count)) if r[2] > r[0] and r[3] > r[1]]
                if rects:
                    lines.extend(_lines_of(reader, start, body, rects, height))
            start = end
        return lines
    finally:
        textpage.close()


class _Geometry:
    """pdfium's per-line geometry calls with their output buffers made once per page."""

    def __init__(self, textpage, raw) -> None:  # type: ignore[no-untyped-def]
        self.textpage, self.raw = textpage, raw
        self.values = [ctypes.c_double() for _ in range(4)]
        self.refs = [ctypes.byref(v) for v in self.values]

    def rect(self, index: int) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) of the text rectangle `index`."""
        left, top, right, bottom = self.values
        if not self.raw.FPDFText_GetRect(self.textpage, index, *self.refs):
            return (0.0, 0.0, 0.0, 0.0)
        return (left.value, bottom.value, right.value, top.value)

    def index_at(self, x: float, y: float) -> int:
        return self.raw.FPDFText_GetCharIndexAtPos(self.textpage, x, y, 1.0, 1.0)

    def size(self, index: int) -> float:
        return self.raw.FPDFText_GetFontSize(self.textpage, index)

    def baseline(self, index: int, fallback: float) -> float:
        y = self.values[1]
        if not self.raw.FPDFText_GetCharOrigin(self.textpage, index, self.refs[0], self.refs[1]):
            return fallback
        return y.value


def _lines_of(reader: _Geometry, start: int, body: str, rects: list[tuple[float, float, float, float]], height: float) -> list[Line]:
    """The visual lines of one pdfium line. pdfium joins what follows in the content
    stream on one line when it sits on the same baseline — the next cell of a table row,
    the same line of the other column — and joins a line ending in a hyphen with the
    next one; its rectangles (one per text object, in character order) show where such
    a line is several, and the character under each piece's first rectangle where to cut."""
    pieces: list[tuple[int, list[tuple[float, float, float, float]]]] = [(0, [rects[0]])]
    for rect in rects[1:]:
        last = pieces[-1][1][-1]
        if _same_row(last, rect):
            pieces[-1][1].append(rect)
            continue
        index = reader.index_at(rect[0] + 0.5, (rect[1] + rect[3]) / 2)
        offset = index - start if index >= 0 else -1
        if pieces[-1][0] < offset < len(body):
            pieces.append((offset, [rect]))
        else:
            pieces[-1][1].append(rect)
    lines = []
    for n, (offset, piece_rects) in enumerate(pieces):
        stop = pieces[n + 1][0] if n + 1 < len(pieces) else len(body)
        text = body[offset:stop]
        if not text.strip():
            continue
        first = start + offset + len(text) - len(text.lstrip())
        size = reader.size(first)
        left, bottom, right, top = piece_rects[0] if len(piece_rects) == 1 else _union(piece_rects)
        baseline = height - reader.baseline(first, bottom)
        line = Line(layout.normalise_chars(text), left, height - top, right, height - bottom, size, baseline)
        if lines and layout.is_bullet(lines[-1].text) and abs(lines[-1].baseline - line.baseline) < 0.5 * size:
            bullet = lines.pop()
            line = Line(f"{bullet.text.strip()} {line.text}", bullet.left, min(bullet.top, line.top), line.right, max(bullet.bottom, line.bottom), size, line.baseline)
        lines.append(line)
    return lines


def _same_row(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether rectangle b goes on a's visual line: beside it, not far off to its right."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    height = max(a[3] - a[1], b[3] - b[1])
    return overlap > 0.3 * min(a[3] - a[1], b[3] - b[1]) and a[0] - 1 <= b[0] <= a[2] + 1.5 * height


def _union(rects: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects), max(r[3] for r in rects))


def assemble(pages: list[list[Line]], widths: list[float], ocr_texts: dict[int, str]) -> str:
    """The document's paragraphs, across columns and pages, one block each."""
    furniture = layout.furniture(pages)
    blocks: list[list[Line] | str] = []
    previous_flow: tuple[float, float] | None = None
    for index, (lines, width) in enumerate(zip(pages, widths)):
        if index in ocr_texts:
            blocks.extend(p for p in ocr_texts[index].split("\n\n") if p.strip())
            previous_flow = None
            continue
        body = [ln for ln in lines if id(ln) not in furniture[index]]
        for flow in layout.reading_order(body, width):
            left_edge = min(ln.left for ln in flow.lines)
            right_edge = max(ln.right for ln in flow.lines)
            pitch = layout.leading(flow.lines)
            paragraphs = layout.paragraphs(flow.lines, right_edge, left_edge, pitch)
            last = blocks[-1] if blocks else None
            if (
                isinstance(last, list)
                and previous_flow is not None
                and not flow.cell
                and layout.continues(last[-1], paragraphs[0][0], previous_flow[1], left_edge, None)
                and not _indented(paragraphs[0][0], left_edge)
            ):
                last.extend(paragraphs.pop(0))
            blocks.extend(paragraphs)
            previous_flow = None if flow.cell else (left_edge, right_edge)
    block_lines = [b.split("\n") if isinstance(b, str) else [ln.text for ln in b] for b in blocks]
    all_lines = [line for lines in block_lines for line in lines]
    # The document's spellings are only asked about words broken at a line end.
    broken = any(line.rstrip()[-1:] in layout.LINE_END_HYPHENS for line in all_lines)
    hyphenated, words = layout.hyphen_evidence("\n".join(all_lines)) if broken else (set(), set())
    machine_hyphenated = broken and layout.looks_hyphenated(all_lines)
    out = []
    for lines in block_lines:
        paragraph = layout.join_lines(lines, hyphenated, words, machine_hyphenated)
        paragraph = layout.clean_text(layout.strip_bullet(layout.split_markers(paragraph)))
        if paragraph:
            out.append(paragraph)
    return "\n\n".join(out)


def _indented(line: Line, left_edge: float) -> bool:
    return line.left - left_edge > 1.5 * (line.right - line.left) / max(len(line.text), 1)


def first_heading(lines: list[Line]) -> str | None:
    """The first page's largest text, when it is larger than the body: the visible title."""
    if not lines:
        return None
    body_size = statistics.median(ln.size for ln in lines)
    largest = max(ln.size for ln in lines)
    if largest < _HEADING_RATIO * body_size:
        return None
    title = [ln.text.strip() for ln in sorted(lines, key=lambda ln: ln.top) if abs(ln.size - largest) < 0.6]
    return layout.clean_text(" ".join(title[:3])) or None


# --- metadata ------------------------------------------------------------------------

_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_XMP = re.compile(rb"<x:xmpmeta.*?</x:xmpmeta>", re.DOTALL)


def _metadata(document, data: bytes) -> tuple[str | None, str | None, str | None]:  # type: ignore[no-untyped-def]
    info = {key: _info(document, key) for key in ("Title", "Author", "CreationDate", "ModDate")}
    xmp = _xmp(data)
    title = _clean_title(info.get("Title")) or xmp.get("title")
    author = (info.get("Author") or "").strip() or xmp.get("creator")
    published = pdf_date(info.get("CreationDate") or info.get("ModDate") or "") or xmp.get("date")
    return title, author, published


def _info(document, key: str) -> str:  # type: ignore[no-untyped-def]
    """One entry of the information dictionary ('' when absent), read without a copy."""
    import pypdfium2.raw as raw

    name = key.encode("ascii") + b"\0"
    size = raw.FPDF_GetMetaText(document.raw, name, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    raw.FPDF_GetMetaText(document.raw, name, buffer, size)
    return buffer.raw[: size - 2].decode("utf-16-le", "replace").strip()


def _clean_title(title: str | None) -> str | None:
    title = (title or "").strip()
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title)
    if not title or re.search(r"\.(docx?|odt|rtf|pptx?|pdf)$", title, re.IGNORECASE) or title.lower() in {"untitled", "title"}:
        return None
    return title


def pdf_date(value: str) -> str | None:
    """`D:20240131…` (or an XMP ISO date) as YYYY-MM-DD; None when it is no date."""
    match = _PDF_DATE.match(value.strip().replace("-", ""))
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31 and 1900 <= int(year) <= 2200):
        return None
    return f"{year}-{month}-{day}"


def _xmp(data: bytes) -> dict[str, str]:
    """Title, creator and creation date from an uncompressed XMP packet, if there is one."""
    match = _XMP.search(data, 0, 50_000_000)
    if not match:
        return {}
    packet = match.group(0).decode("utf-8", "replace")
    found: dict[str, str] = {}
    for key, pattern in (
        ("title", r"<dc:title>.*?<rdf:li[^>]*>(.*?)</rdf:li>"),
        ("creator", r"<dc:creator>.*?<rdf:li[^>]*>(.*?)</rdf:li>"),
        ("date", r"<xmp:CreateDate>(.*?)</xmp:CreateDate>|xmp:CreateDate=\"(.*?)\""),
    ):
        m = re.search(pattern, packet, re.DOTALL)
        value = next((g for g in m.groups() if g), "") if m else ""
        value = re.sub(r"<[^>]+>", "", value).strip()
        if key == "date":
            value = pdf_date(value) or ""
        if value:
            found[key] = value
    return found


FORMAT = FileFormat(name="pdf", extensions=frozenset({".pdf"}), sniff=sniff, extract=extract, isolated=True)
