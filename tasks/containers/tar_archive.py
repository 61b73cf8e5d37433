"""TAR archives, read as a stream (tarfile's `r|` mode) in one pass.

Compression is not tarfile's job here: `.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz` and
`.tar.zst` arrive already inflated through the bounded `Inflater`, so a bomb stops at
the ratio even while tarfile skips a member's data. Links, devices and FIFOs are
rejected: a link's target is another member or a path outside the archive, never a
document of its own.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from tasks.containers.base import ContainerDamage, Limits, Member, Options, Report
from tasks.containers.names import UniqueNames
from tasks.containers.streams import read_bounded, too_large

# PAX and GNU long-name headers are read whole by tarfile; real ones are a few hundred bytes.
MAX_HEADER_BYTES = 1 << 20
_EXTENDED = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
             tarfile.GNUTYPE_LONGLINK)


class _BoundedTarInfo(tarfile.TarInfo):
    """Refuses an extended header too large to hold: tarfile would read all of it into memory."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED and self.size > MAX_HEADER_BYTES:
            raise tarfile.HeaderError(f"an extended header of {self.size:,} bytes (more than {MAX_HEADER_BYTES:,})")
        return super()._proc_member(tarfile_)  # type: ignore[misc]


def read_tar(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    try:
        archive = tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ContainerDamage(f"not a readable TAR archive: {error}") from None
    names = UniqueNames()
    while True:
        try:
            info = archive.next()
        except (tarfile.TarError, EOFError, OSError, UnicodeError) as error:
            raise ContainerDamage(f"the TAR is damaged after {report.entries:,} entries: {error}") from None
        if info is None:
            return
        # A streaming TarFile keeps every header it read; dropping them keeps memory flat.
        archive.members.clear()
        if info.isdir():
            report.skip("directory")
            continue
        if info.isreg() and info.size == 0 and not names.problem(info.name, path=True):
            report.skip("empty")
            continue
        yield _member(archive, info, names, limits)


def _member(archive: tarfile.TarFile, info: tarfile.TarInfo, names: UniqueNames, limits: Limits) -> Member:
    problem = names.problem(info.name, path=True)
    if problem:
        return Member(info.name, rejected=problem)
    if info.issym():
        return Member(info.name, rejected=f"a symbolic link (to {info.linkname!r}); links are not followed")
    if info.islnk():
        return Member(info.name, rejected=f"a hard link (to {info.linkname!r}); links are not followed")
    if info.ischr() or info.isblk():
        return Member(info.name, rejected="a device file, not a document")
    if info.isfifo():
        return Member(info.name, rejected="a FIFO, not a document")
    if not info.isreg():
        return Member(info.name, rejected=f"an unsupported TAR entry type {info.type!r}")
    if info.size > limits.max_member_bytes:
        return Member(info.name, rejected=too_large(limits.max_member_bytes) + f" ({info.size:,} declared)")
    file = archive.extractfile(info)
    if file is None:
        return Member(info.name, rejected="tarfile cannot read this entry")
    try:
        data = read_bounded(file, limits.max_member_bytes)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ContainerDamage(f"the TAR is damaged inside {info.name!r}: {error}") from None
    if data is None or len(data) != info.size:
        raise ContainerDamage(f"the TAR ends inside {info.name!r} (truncated)")
    return Member(info.name, data)
