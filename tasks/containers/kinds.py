"""Which files are containers, by leading bytes first and extension where bytes cannot tell.

Binary containers are recognised by their signature alone (a `.zip` that is an HTML
page is a page). Textual datasets (JSON Lines, JSON arrays) have no signature, so they
need their extension and a first character that fits. DOCX, XLSX, PPTX, ODF and EPUB
files are ZIPs too, but they are documents: a ZIP whose directory (or, without a
seekable file, its first entry) says it is one of those is no container.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from tasks.containers.base import Limits, Member, Options, Report
from tasks.containers.datasets import read_json_array, read_jsonl, read_parquet
from tasks.containers.streams import codec_of
from tasks.containers.tar_archive import read_tar
from tasks.containers.warc import read_arc, read_warc
from tasks.containers.zip_archive import read_zip

Reader = Callable[[BinaryIO, Limits, Options, Report], Iterator[Member]]


@dataclass(frozen=True)
class ContainerKind:
    """One kind of container. `seekable` kinds need random access (a ZIP's directory and a
    Parquet footer are at the end); the others are read as a forward stream, also through
    a compression layer."""

    name: str
    extensions: tuple[str, ...]
    read: Reader | None
    seekable: bool = False


KINDS: dict[str, ContainerKind] = {
    kind.name: kind
    for kind in (
        ContainerKind("warc", (".warc", ".warc.gz", ".warc.zst"), read_warc),
        ContainerKind("arc", (".arc", ".arc.gz"), read_arc),
        ContainerKind("zip", (".zip",), read_zip, seekable=True),
        ContainerKind("tar", (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"), read_tar),
        ContainerKind("jsonl", (".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst"), read_jsonl),
        ContainerKind("json", (".json", ".json.gz"), read_json_array),
        ContainerKind("parquet", (".parquet",), read_parquet, seekable=True),
        # A compression layer: what is inside decides (see `inner_name`).
        ContainerKind("compressed", (".gz", ".bz2", ".xz", ".zst"), None),
    )
}
EXTENSIONS: frozenset[str] = frozenset(ext for kind in KINDS.values() for ext in kind.extensions)
DOCUMENT_ZIPS = frozenset((".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm", ".odt", ".ods", ".odp", ".epub"))
_SHORT_SUFFIXES = {".tgz": ".tar", ".tbz2": ".tar", ".txz": ".tar"}
_OOXML_PARTS = ("word/", "ppt/", "xl/")
_ODF_EPUB = (b"application/vnd.oasis.opendocument", b"application/epub+zip")


def inner_name(name: str) -> str:
    """The name of what a compressed file holds: `page.html.gz` holds `page.html`."""
    lower = name.lower()
    for short, long in _SHORT_SUFFIXES.items():
        if lower.endswith(short):
            return name[: -len(short)] + long
    stem, dot, suffix = name.rpartition(".")
    return stem if dot and stem and "." + suffix.lower() in KINDS["compressed"].extensions else name


def detect(name: str, head: bytes, file: BinaryIO | None = None) -> ContainerKind | None:
    """The container kind of a file named `name` that starts with `head`, or `None`.

    `file`, when seekable, lets a ZIP's whole directory be checked for an office
    document or EPUB; it is left at the position it had.
    """
    lower = name.lower()
    if codec_of(head):
        return KINDS["compressed"]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if any(lower.endswith(ext) for ext in DOCUMENT_ZIPS) or _document_zip(head, file):
            return None
        return KINDS["zip"]
    if head.startswith(b"WARC/"):
        return KINDS["warc"]
    if head.startswith(b"filedesc://"):
        return KINDS["arc"]
    if head[257:262] == b"ustar" or (lower.endswith(".tar") and _looks_like_v7_tar(head)):
        return KINDS["tar"]
    if head.startswith(b"PAR1"):
        return KINDS["parquet"]
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if lower.endswith((".jsonl", ".ndjson")) and first in (b"{", b""):
        return KINDS["jsonl"]
    if lower.endswith(".json") and first == b"[":
        return KINDS["json"]
    return None


def _looks_like_v7_tar(head: bytes) -> bool:
    """A pre-POSIX tar header has no magic; its checksum field is octal digits."""
    field = head[148:156].strip(b" \0")
    return len(head) >= 512 and bool(field) and all(48 <= c <= 55 for c in field)


def _document_zip(head: bytes, file: BinaryIO | None) -> bool:
    if file is not None and file.seekable():
        position = file.tell()
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
                if "[Content_Types].xml" in names and any(n.startswith(_OOXML_PARTS) for n in names):
                    return True
                if "mimetype" in names:
                    return archive.read("mimetype")[:64].startswith(_ODF_EPUB)
                return False
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, NotImplementedError):
            return False
        finally:
            file.seek(position)
    # Without random access: ODF and EPUB store `mimetype` first and uncompressed; OOXML
    # writers put `[Content_Types].xml` first.
    name_length = int.from_bytes(head[26:28], "little")
    extra_length = int.from_bytes(head[28:30], "little")
    first = head[30 : 30 + name_length]
    content = head[30 + name_length + extra_length :]
    return first == b"[Content_Types].xml" or (first == b"mimetype" and content.startswith(_ODF_EPUB))
