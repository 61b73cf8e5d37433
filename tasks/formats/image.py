"""Images of text (scans, photos of pages, faxes as TIFF): read by OCR, frame by frame."""

from __future__ import annotations

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected

_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def sniff(data: bytes) -> bool:
    return data.startswith(_MAGIC)


def extract(data: bytes, hints: Hints) -> Extracted:
    from tasks.formats import ocr

    if not data:
        raise Rejected("empty file")
    if not ocr.available():
        raise Rejected("no text layer: OCR is not installed")
    frames = ocr.open_frames(data)
    texts = ocr.recognise(frames)
    text = "\n\n".join(t for t in texts if t.strip())
    if not text.strip():
        raise Rejected("no text found by OCR")
    return Extracted(text=text, pages=len(frames), parts=[f"{len(frames)} images read by OCR"])


FORMAT = FileFormat(
    name="image",
    extensions=frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"}),
    sniff=sniff,
    extract=extract,
    isolated=True,
    by_default=False,
)
