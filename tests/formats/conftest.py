"""Fixtures for the format tests: generated documents in several languages, converted once a session.

Format modules are pure functions of bytes: these tests need neither Prefect nor a store,
so the suite-wide Prefect server fixture is replaced by a no-op here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.formats.documents import Spec, convert, soffice, specs, write_docx

DOCUMENTS = 14
SAMPLES = Path(__file__).parent / "files"


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    yield


@dataclass
class Corpus:
    specs: list[Spec]
    folder: Path

    def path(self, spec: Spec, extension: str) -> Path:
        return self.folder / extension / f"{spec.name}.{extension}"

    def data(self, spec: Spec, extension: str) -> bytes:
        return self.path(spec, extension).read_bytes()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("documents")
    (folder / "docx").mkdir()
    generated = specs(DOCUMENTS)
    for spec in generated:
        write_docx(spec, folder / "docx" / f"{spec.name}.docx")
    return Corpus(generated, folder)


@pytest.fixture(scope="session")
def converted(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The corpus with LibreOffice's ODT, RTF and EPUB of every DOCX (one soffice call per format)."""
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    profile = tmp_path_factory.mktemp("soffice-profile")
    sources = [corpus.path(spec, "docx") for spec in corpus.specs]
    for target in ("odt", "rtf", "epub"):
        convert(sources, target, corpus.folder / target, profile)
    return corpus
