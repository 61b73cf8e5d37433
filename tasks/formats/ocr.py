"""Text from page images with Tesseract, in the language the page is written in.

Tesseract reads far better with the right language pack, and a scan says nothing about
its language. So the first page is read with English (its Latin model also reads most
European text well enough to be recognised), `tasks.language.detect` names the language
of what came back, and when a different installed pack matches, every page is read with
that one. The `tesseract` binary runs as a subprocess (one per page, with a timeout), so
a hang or crash in it is a rejected page, not a dead worker; one thread each, because
the machine's cores are shared.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterable

from tasks.formats.base import Rejected

# Seconds one page may take; a page over it is rejected with the document.
PAGE_SECONDS = 120
# ISO 639-1 (what `tasks.language` answers) → Tesseract's pack name.
_PACKS = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld",
    "pl": "pol", "cs": "ces", "sv": "swe", "da": "dan", "no": "nor", "fi": "fin", "hu": "hun",
    "ro": "ron", "tr": "tur", "ru": "rus", "uk": "ukr", "bg": "bul", "el": "ell", "ar": "ara",
    "he": "heb", "zh": "chi_sim", "ja": "jpn", "ko": "kor", "hi": "hin", "vi": "vie",
}
FIRST_PASS = "eng"
# Images are cut down to this many pixels (a 300 dpi A4 page is 8.7 million) so that a
# giant image costs bounded time and memory.
MAX_PIXELS = 40_000_000


def available() -> bool:
    return shutil.which("tesseract") is not None


@functools.cache
def installed_packs() -> frozenset[str]:
    result = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return frozenset(line.strip() for line in result.stdout.splitlines()[1:] if line.strip())


def recognise(images: Iterable) -> list[str]:  # type: ignore[type-arg]
    """Each image's text, paragraphs separated by blank lines, read in one chosen language.

    Images are taken one at a time from the iterable, so a caller may render lazily."""
    if not available():
        raise Rejected("no text layer: OCR is not installed")
    texts: list[str] = []
    pack = FIRST_PASS
    for n, image in enumerate(images):
        if n == 0:
            first = read_image(image, FIRST_PASS)
            pack = choose_pack(first)
            texts.append(first if pack == FIRST_PASS else read_image(image, pack))
        else:
            texts.append(read_image(image, pack))
    return texts


def choose_pack(text: str) -> str:
    """The installed pack for the language of a first-pass text; English when unsure."""
    from tasks.language import UNDETERMINED, detect

    language = detect(text).language
    pack = _PACKS.get(language)
    if language == UNDETERMINED or pack is None or pack not in installed_packs():
        return FIRST_PASS
    return pack


def read_image(image, pack: str) -> str:  # type: ignore[no-untyped-def]
    """One image through `tesseract stdin stdout`, as paragraphs (lines joined)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        result = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", pack, "--psm", "3"],
            input=buffer.getvalue(), capture_output=True, timeout=PAGE_SECONDS, env=env,
        )
    except subprocess.TimeoutExpired:
        raise Rejected(f"OCR took longer than {PAGE_SECONDS} s on a page") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Rejected(f"OCR failed: {message[-1] if message else result.returncode}")
    return paragraphs(result.stdout.decode("utf-8", "replace"))


def paragraphs(text: str) -> str:
    """Tesseract's blocks as paragraphs: lines joined, words hyphenated at line ends rejoined."""
    from tasks.formats import pdf_layout as layout

    hyphenated, words = layout.hyphen_evidence(text)
    blocks = []
    for block in re.split(r"\n\s*\n", text.replace("\f", "\n\n")):
        lines = [layout.normalise_chars(line) for line in block.splitlines() if line.strip()]
        if lines:
            blocks.append(layout.clean_text(layout.join_lines(lines, hyphenated, words)))
    return "\n\n".join(b for b in blocks if b)


def open_frames(data: bytes, limit: int = 500) -> list:  # type: ignore[type-arg]
    """An image file's frames (a TIFF may hold many pages) as grey images ready for OCR."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2  # Pillow raises at twice this
    try:
        image = Image.open(io.BytesIO(data))
        frames = []
        for frame in ImageSequence.Iterator(image):
            frames.append(frame.convert("L"))
            if len(frames) >= limit:
                break
    except Image.DecompressionBombError:
        raise Rejected(f"image too large: more than {MAX_PIXELS // 1_000_000} million pixels") from None
    except UnidentifiedImageError:
        # Pillow's message names the in-memory buffer by address: a reason must read the same every run.
        raise Rejected("corrupt image: not a readable image") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise Rejected(f"corrupt image: {error}") from None
    return frames
