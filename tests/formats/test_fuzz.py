"""Mutated real files through every extractor: nothing but `Rejected` escapes, each call is bounded.

Each format gets a few hundred inputs from a seeded generator (reproducible: a failure
names the format and the input number): bytes flipped, the file cut short, random bytes
inserted, slices deleted or repeated. For the ZIP formats half the mutations are applied
to the main XML member inside an otherwise intact archive, so the parsers behind the ZIP
layer are exercised too, not only the checksum check.
"""

from __future__ import annotations

import io
import random
import time
import zipfile
from collections.abc import Iterator

import pytest

from tasks.formats import docx, email, epub, odt, pptx, rtf
from tasks.formats.base import FileFormat, Hints, Rejected
from tests.formats.conftest import SAMPLES
from tests.formats.documents import specs, write_docx, write_pptx
from tests.formats.hostile import rezip

INPUTS = 250
SECONDS_PER_CALL = 10
MAIN_XML = {
    "docx": "word/document.xml",
    "pptx": "ppt/slides/slide1.xml",
    "odt": "content.xml",
    "epub": "OEBPS/sections/section0001.xhtml",
}


def mutate(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:
        for _ in range(rng.randint(1, 12)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
    elif kind == 1:
        del mutated[rng.randrange(len(mutated)) :]
    elif kind == 2:
        at = rng.randrange(len(mutated))
        mutated[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 3:
        start = rng.randrange(len(mutated))
        del mutated[start : start + rng.randint(1, 256)]
    else:
        start = rng.randrange(len(mutated))
        piece = mutated[start : start + rng.randint(1, 256)]
        mutated[start:start] = piece * rng.randint(2, 20)
    return bytes(mutated)


def inputs(kind: str, data: bytes) -> Iterator[bytes]:
    rng = random.Random(f"fuzz-{kind}")
    member = MAIN_XML.get(kind)
    original = zipfile.ZipFile(io.BytesIO(data)).read(member) if member else b""
    for number in range(INPUTS):
        if member and number % 2:
            yield rezip(data, replace={member: mutate(original, rng)})
        else:
            yield mutate(data, rng)


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    spec = specs(1)[0]
    write_docx(spec, folder / "a.docx")
    write_pptx(spec, folder / "a.pptx")
    mail = (
        b"From: Jane <jane@example.org>\r\nTo: t@example.org\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
        b"Date: Mon, 4 Mar 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n--b1\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Hello =C3=A9t=C3=A9.\r\n\r\nSecond paragraph.\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello</p>\r\n--b1--\r\n"
    )
    return {
        "docx": (folder / "a.docx").read_bytes(),
        "pptx": (folder / "a.pptx").read_bytes(),
        "odt": (SAMPLES / "sample.odt").read_bytes(),
        "epub": (SAMPLES / "sample.epub").read_bytes(),
        "rtf": (SAMPLES / "sample.rtf").read_bytes(),
        "email": mail,
    }


FORMATS: dict[str, FileFormat] = {
    "docx": docx.FORMAT,
    "pptx": pptx.FORMAT,
    "odt": odt.FORMAT,
    "epub": epub.FORMAT,
    "rtf": rtf.FORMAT,
    "email": email.FORMAT,
}


@pytest.mark.parametrize("kind", FORMATS)
def test_mutated_files_are_read_or_rejected(kind: str, sound: dict[str, bytes]) -> None:
    form = FORMATS[kind]
    assert form.extract(sound[kind], Hints()).text
    outcomes = {"read": 0, "rejected": 0}
    for number, data in enumerate(inputs(kind, sound[kind])):
        started = time.perf_counter()
        try:
            form.sniff(data)
            form.extract(data, Hints(name=f"fuzz.{kind}"))
            outcomes["read"] += 1
        except Rejected as reason:
            assert str(reason), f"{kind} input {number}: a rejection needs a reason"
            outcomes["rejected"] += 1
        except Exception as error:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{kind} input {number}: {type(error).__name__}: {error}")
        assert time.perf_counter() - started < SECONDS_PER_CALL, f"{kind} input {number} took too long"
    assert sum(outcomes.values()) == INPUTS
