"""OCR of images and scanned PDFs, on page images rendered here with Pillow and Noto."""

from __future__ import annotations

import io
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from tasks.formats import image, ocr, pdf
from tasks.formats.base import Hints, Rejected

FONT = Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf")
needs_ocr = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.exists(),
    reason="needs Debian's tesseract-ocr and fonts-noto-core",
)

ENGLISH = [
    "The committee met on Tuesday to discuss the annual budget of the library.",
    "Several members asked for more money to buy books for the children of the town.",
]
GERMAN = [
    "Die Gemeinde möchte im nächsten Jahr eine größere Bücherei für alle Bürger bauen.",
    "Während der Sitzung wurden außerdem die Öffnungszeiten am Wochenende besprochen.",
]


def page_image(paragraphs: list[str]):  # type: ignore[no-untyped-def]
    """An A4-ish page at 150 dpi with each paragraph wrapped and a blank line between."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 30)
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    y = 120
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, 55):
            draw.text((100, y), line, font=font, fill=0)
            y += 44
        y += 44
    return page


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def share_found(expected: list[str], text: str) -> float:
    got = set(words(text))
    wanted = words(" ".join(expected))
    return sum(w in got for w in wanted) / len(wanted)


def png(img) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


@needs_ocr
def test_png_is_read_as_paragraphs() -> None:
    extracted = image.FORMAT.extract(png(page_image(ENGLISH)), Hints(name="scan.png"))
    assert share_found(ENGLISH, extracted.text) >= 0.95
    assert len(extracted.text.split("\n\n")) == 2
    assert extracted.pages == 1


@needs_ocr
def test_language_pack_is_chosen_from_a_first_pass() -> None:
    assert ocr.choose_pack(" ".join(GERMAN)) == "deu"
    assert ocr.choose_pack(" ".join(ENGLISH)) == "eng"
    extracted = image.FORMAT.extract(png(page_image(GERMAN)), Hints())
    # Umlauts and ß come back only with the German model.
    assert {"größere", "möchte", "außerdem"} <= set(words(extracted.text))


@needs_ocr
def test_multi_page_tiff_and_jpeg() -> None:
    pages = [page_image(ENGLISH), page_image(GERMAN)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    extracted = image.FORMAT.extract(buffer.getvalue(), Hints())
    assert extracted.pages == 2
    assert share_found(ENGLISH, extracted.text) >= 0.9
    buffer = io.BytesIO()
    pages[0].save(buffer, format="JPEG", quality=85)
    assert image.sniff(buffer.getvalue())
    assert share_found(ENGLISH, image.FORMAT.extract(buffer.getvalue(), Hints()).text) >= 0.9


@needs_ocr
def test_scanned_pdf_is_read_by_ocr() -> None:
    buffer = io.BytesIO()
    page_image(ENGLISH).convert("RGB").save(buffer, format="PDF", resolution=150)
    extracted = pdf.FORMAT.extract(buffer.getvalue(), Hints(name="scan.pdf"))
    assert share_found(ENGLISH, extracted.text) >= 0.95
    assert extracted.pages == 1
    assert "1 pages read by OCR" in extracted.parts


def test_without_tesseract_a_scan_is_rejected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from PIL import Image

    monkeypatch.setenv("PATH", str(tmp_path))
    blank_scan = Image.new("RGB", (200, 200), "white")
    buffer = io.BytesIO()
    blank_scan.save(buffer, format="PDF")
    with pytest.raises(Rejected, match="^no text layer: OCR is not installed$"):
        pdf.FORMAT.extract(buffer.getvalue(), Hints())
    with pytest.raises(Rejected, match="^no text layer: OCR is not installed$"):
        image.FORMAT.extract(png(blank_scan), Hints())


def test_broken_images_are_rejected() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("needs tesseract-ocr")
    with pytest.raises(Rejected, match="^corrupt image"):
        image.FORMAT.extract(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, Hints())
    with pytest.raises(Rejected, match="^empty file$"):
        image.FORMAT.extract(b"", Hints())


def test_decompression_bomb_is_rejected_before_decoding() -> None:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b"")
    with pytest.raises(Rejected, match="^image too large"):
        ocr.open_frames(bomb)
