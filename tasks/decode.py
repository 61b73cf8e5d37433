"""Bytes to str for text and HTML files."""

from __future__ import annotations

import codecs


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we can recognise."""


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 text, honouring a BOM; returns the text and the encoding used."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        raise UndecodableError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}"
        ) from None


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode an HTML page; returns the markup and the encoding used."""
    return decode_text(data)
