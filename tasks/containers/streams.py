"""Streams under the readers: a bounded inflater, a file with its head put back, bounded reads.

Every compressed layer (a `.gz` page, a `.tar.zst`, each record of a `.warc.gz`) is read
through `Inflater`, so the same two checks hold everywhere: the output never runs more
than `Limits.max_ratio` times ahead of the compressed bytes read (a bomb stops at the
ratio, after at most one chunk), and a stream that ends before its end marker raises
`ContainerDamage` instead of passing for a short file. Output comes in chunks of at
most the size asked for, so a 64 KB read of a bomb never materialises more.
"""

from __future__ import annotations

import bz2
import io
import lzma
from typing import Any, BinaryIO, Literal

from isal import isal_zlib

from tasks.containers.base import ContainerDamage, LimitExceeded, Limits

Codec = Literal["gzip", "bzip2", "xz", "zstd"]
HEAD_BYTES = 4096
_CHUNK = 1 << 16
_SIGNATURES: tuple[tuple[bytes, Codec], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"(\xb5/\xfd", "zstd"),
)
_ZSTD_BITE = 1024


def _decompressor(codec: Codec) -> Any:
    if codec == "gzip":
        # ISA-L inflates 3x faster than zlib here (benchmarks/archives.py), with zlib's API.
        return isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16)
    if codec == "bzip2":
        return bz2.BZ2Decompressor()
    if codec == "xz":
        return lzma.LZMADecompressor()
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


def codec_of(head: bytes) -> Codec | None:
    """The compression the bytes start with, if any."""
    for signature, codec in _SIGNATURES:
        if head.startswith(signature):
            return codec
    return None


class _Positioned(io.RawIOBase):
    """A forward-only readable stream that knows its position.

    fastwarc asks the stream for `tell()` and `seek()` (fastwarc 2.0 raises a Rust panic,
    a BaseException, on a stream without them), so forward seeks read and discard, a
    no-op seek succeeds, and only a backward one fails.
    """

    def __init__(self) -> None:
        super().__init__()
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.position + offset if whence == io.SEEK_CUR else -1
        if target < self.position:
            raise io.UnsupportedOperation("this stream only reads forward")
        while self.position < target:
            if not self.read(min(_CHUNK, target - self.position)):
                break
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self._next(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _next(self, size: int) -> bytes:
        raise NotImplementedError


class Chain(_Positioned):
    """`head` (bytes already read to recognise the file) followed by the rest of `rest`."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def _next(self, size: int) -> bytes:
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)


class Inflater(_Positioned):
    """The decompressed bytes of `raw`, bounded by `limits.max_ratio` against the bytes read.

    Concatenated streams (multi-member gzip as in `.warc.gz`, multi-stream bzip2/xz,
    zstd frames) are read across; NUL padding after the last one is ignored.
    """

    def __init__(self, raw: BinaryIO, codec: Codec, limits: Limits) -> None:
        super().__init__()
        self._raw = raw
        self._codec = codec
        self._limits = limits
        self.bytes_in = 0
        self._pending = b""
        self._done = False
        self._full = False  # the last call filled the request: the decompressor may hold more output
        self._ready = b""
        self._decompressor = _decompressor(codec)

    def _read_raw(self) -> bytes:
        data = self._raw.read(_CHUNK)
        self.bytes_in += len(data)
        return data

    def _next(self, size: int) -> bytes:
        data = self._inflate(size)
        out = self.position + len(data)
        if out > self._limits.ratio_floor and out > self._limits.max_ratio * max(self.bytes_in, 1):
            raise LimitExceeded(
                f"{self._codec} data inflates more than {self._limits.max_ratio}x "
                f"({out:,} bytes from {self.bytes_in:,}): a compression bomb")
        return data

    def _inflate(self, size: int) -> bytes:
        if self._ready:
            data, self._ready = self._ready[:size], self._ready[size:]
            return data
        while not self._done:
            decompressor = self._decompressor
            if decompressor.eof:
                self._pending = decompressor.unused_data + self._pending
                if not self._pending:
                    self._pending = self._read_raw()
                if not self._pending.strip(b"\0"):
                    self._done = True
                    break
                self._decompressor = _decompressor(self._codec)
                continue
            data = b""
            if self._pending:
                data, self._pending = self._pending, b""
            elif not self._wants_more_output():
                data = self._read_raw()
                if not data:
                    raise ContainerDamage(
                        f"the {self._codec} data ends before its end marker (truncated after "
                        f"{self.bytes_in:,} compressed bytes)")
            if self._codec == "zstd":
                # zstandard's decompressobj has no output bound, so it gets small bites:
                # at most ~32 MB come out of 1 KB, and the ratio check follows each bite.
                data, self._pending = data[:_ZSTD_BITE], data[_ZSTD_BITE:]
            try:
                out = decompressor.decompress(data) if self._codec == "zstd" else decompressor.decompress(data, size)
            except Exception as error:  # noqa: BLE001 - each codec has its own error type
                raise ContainerDamage(f"the {self._codec} data is damaged: {error}") from None
            if self._codec == "gzip" and not decompressor.eof:  # at the end, the tail is in unused_data too
                self._pending = decompressor.unconsumed_tail + self._pending
            self._full = len(out) == size
            if out:
                out, self._ready = out[:size], out[size:]
                return bytes(out)
        return b""

    def _wants_more_output(self) -> bool:
        if self._codec == "gzip":
            full, self._full = self._full, False
            return full
        if self._codec == "zstd":
            return False
        return not self._decompressor.needs_input


def read_bounded(stream: BinaryIO, limit: int) -> bytes | None:
    """Up to `limit` bytes of `stream` read in chunks, or `None` when it holds more."""
    parts = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def too_large(limit: int) -> str:
    return f"larger than the member limit of {limit:,} bytes"
