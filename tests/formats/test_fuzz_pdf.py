"""Mutated real PDFs and images through the isolated extractors: every input ends as an
Extracted or a Rejected with a reason, none runs past the time limit, none kills the run."""

from __future__ import annotations

import io
import random
import time

import pytest

from tasks.formats import image, isolation, pdf
from tasks.formats.base import Extracted, Hints, Rejected

CASES = 300
LIMIT = 10.0


def seed_pdf() -> bytes:
    """A small PDF with text, fonts and an image, so mutations reach every parser path."""
    from PIL import Image
    from pypdf import PdfWriter

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, format="PDF")
    writer = PdfWriter(clone_from=io.BytesIO(buffer.getvalue()))
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": "Fuzz seed", "/Author": "Tester", "/CreationDate": "D:20240131"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(5)
        at = rng.randrange(len(data))
        if kind == 0:
            data[at] = rng.randrange(256)
        elif kind == 1:
            del data[at : at + rng.randint(1, 64)]
        elif kind == 2:
            data[at:at] = data[rng.randrange(len(data)) :][: rng.randint(1, 256)]
        elif kind == 3:
            data[at:at] = rng.choice([b"999999999", b"-1", b"obj", b"endobj", b"<<", b">>", b"/Length 0", b"(", b"\x00" * 32])
        else:
            del data[at:]
        if not data:
            data = bytearray(b"%PDF-")
    return bytes(data)


@pytest.mark.slow
def test_mutated_pdfs_and_images_never_escape() -> None:
    from PIL import Image

    rng = random.Random(15)
    pdf_seed = seed_pdf()
    png = io.BytesIO()
    Image.new("L", (120, 40), 255).save(png, format="PNG")
    seeds = [(pdf.extract, pdf_seed)] * 4 + [(image.extract, png.getvalue())]
    outcomes: dict[str, int] = {}
    slowest = 0.0
    try:
        for _ in range(CASES):
            extract, seed = rng.choice(seeds)
            data = mutate(seed, rng)
            started = time.monotonic()
            try:
                result = isolation.run(extract, data, Hints(name="fuzz"), max_seconds=LIMIT)
                assert isinstance(result, Extracted)
                key = "extracted"
            except Rejected as rejected:
                key = str(rejected) if str(rejected).startswith("parser") else str(rejected).split(":")[0]
            slowest = max(slowest, time.monotonic() - started)
            outcomes[key] = outcomes.get(key, 0) + 1
    finally:
        isolation.shutdown()
    assert slowest < LIMIT + 5
    assert not any(k.startswith("parser failed") for k in outcomes), [k for k in outcomes if k.startswith("parser")]

    assert sum(outcomes.values()) == CASES
