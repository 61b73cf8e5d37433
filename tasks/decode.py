"""Bytes to str for text and HTML files, in whatever common encoding they were saved.

The order matters and is cheapest-first: a byte-order mark settles it; NUL bytes mean
UTF-16/32 without a BOM or else a binary file (a few stray ones, as some real pages carry,
are dropped); an HTML page's own declaration is next
(trusted only if the bytes decode under it); then valid UTF-8 (a plain `bytes.decode`,
no detector); only what is left goes to the statistical detector.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Script and control-character checks look at this many decoded characters: enough to
# judge, and a 20 MB file costs no more than a small one.
_SAMPLE_CHARS = 65536
# A declaration is looked for only near the top, where browsers look for it too.
_PRESCAN_BYTES = 8192
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9][a-z0-9_.:\-]*)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml\b[^>]*?encoding\s*=\s*["']([a-z0-9][a-z0-9_.:\-]*)""", re.IGNORECASE)

# Labels that browsers (the WHATWG Encoding Standard) decode as a superset whose extra
# characters sit where the label's charset has C1 controls: the superset comes first.
# Keys are Python's canonical codec names, as `codecs.lookup(label).name` gives them.
_READ_AS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
}
# Labels pages use for a narrower charset than they are written in; the superset agrees
# on every character the label's charset has, so it is only tried when that fails.
_EXTENDED_BY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}

# Candidates for the detector: the legacy encodings still seen in the wild, in order of
# preference when the detector scores two of them the same (most common first).
_CANDIDATES = (
    "cp1252",
    "iso8859_15",
    "latin_1",
    "cp1251",
    "koi8_r",
    "gb18030",
    "big5",
    "cp1250",
    "iso8859_2",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp874",
    "koi8_u",
    "iso8859_5",
    "iso8859_7",
    "cp866",
)
# The detector keeps a candidate whose decoded text is at most this "messy"; short real
# passages dense in full-width punctuation score above 0.2, the library's default.
_CHAOS_THRESHOLD = 0.3

_ASCII = re.compile(r"[\x00-\x7f]")
# Text saved by a buggy tool may hold a few stray NULs; binary data holds them everywhere.
STRAY_NUL_SHARE = 0.01


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we can recognise; the message says why."""


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file; returns the text and the (Python codec) name of its encoding."""
    return _decode(data, declared=None)


def decode_html(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """Decode an HTML page, honouring its own charset declaration when the bytes fit it, or
    else `charset`, one declared outside the page (the HTTP Content-Type of a WARC record)."""
    return _decode(data, declared=declared_charset(data) or (charset.lower() if charset else None))


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in `<meta charset>`, http-equiv or an XML declaration."""
    head = data[:_PRESCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def unicode_encoding(data: bytes) -> tuple[str, int] | None:
    """A UTF encoding the bytes announce (BOM) or show (NUL pattern), with the BOM length."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    if b"\x00" in data:
        guessed = _utf16_or_32_by_nuls(data)
        if guessed:
            return guessed, 0
    return None


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    found = unicode_encoding(data)
    if found:
        name, skip = found
        try:
            return data[skip:].decode(name), name
        except UnicodeDecodeError as error:
            raise UndecodableError(f"not valid {name.upper()}: {error.reason} at offset {error.start + skip}") from None
    nuls = data.count(b"\x00")
    if nuls > len(data) * STRAY_NUL_SHARE:
        raise UndecodableError("binary file (NUL bytes)")
    if nuls:
        data = data.replace(b"\x00", b"")
    if declared:
        decoded = _decode_declared(data, declared)
        if decoded:
            return decoded
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _detect(data)


def _utf16_or_32_by_nuls(data: bytes) -> str | None:
    """UTF-16/32 without a BOM, recognised by NULs in the high bytes of ASCII characters.

    Text in these encodings has its NULs almost all in one byte position (the high byte
    of spaces and punctuation in any script, of every Latin letter); binary data has
    them anywhere. Text with no ASCII at all (e.g. CJK in UTF-16 without spaces) has
    few NULs and cannot be told apart this way.
    """
    if len(data) % 4 == 0:
        for name, column in (("utf-32-le", 3), ("utf-32-be", 0)):
            if not data[column::4].strip(b"\x00") and _decodes_to_text(data, name):
                return name
    if len(data) % 2:
        return None
    units = len(data) // 2
    low, high = data[0::2].count(0), data[1::2].count(0)
    for name, nul_side, other_side in (("utf-16-le", high, low), ("utf-16-be", low, high)):
        if nul_side >= units / 20 and other_side <= nul_side / 4 and _decodes_to_text(data, name):
            return name
    return None


def _decodes_to_text(data: bytes, name: str) -> bool:
    try:
        text = data.decode(name)
    except UnicodeDecodeError:
        return False
    sample = text[:_SAMPLE_CHARS]
    controls = sum(1 for c in sample if unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs") and c not in "\t\n\r\f")
    return controls <= len(sample) / 100


def _decode_declared(data: bytes, label: str) -> tuple[str, str] | None:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        # A page whose declaration could be read as ASCII is not in UTF-16/32.
        return None
    for candidate in (_READ_AS.get(name), name, _EXTENDED_BY.get(name)):
        if candidate:
            try:
                return data.decode(candidate), codecs.lookup(candidate).name
            except UnicodeDecodeError:
                continue
    return None


def _detect(data: bytes) -> tuple[str, str]:
    """Legacy encodings: CJK by script checks charset-normalizer lacks, the rest by it."""
    cjk = _detect_cjk(data)
    if cjk:
        return cjk
    matches = charset_normalizer.from_bytes(data, cp_isolation=list(_CANDIDATES), threshold=_CHAOS_THRESHOLD)
    if not matches:
        raise UndecodableError("undecodable: no known text encoding fits these bytes")
    rank = {codecs.lookup(name).name: index for index, name in enumerate(_CANDIDATES)}

    def preference(encoding: str) -> int:
        return rank.get(codecs.lookup(encoding).name, len(rank))

    best = min(matches, key=lambda m: (round(m.chaos, 2), -round(m.coherence, 2), preference(m.encoding)))
    # Encodings that give the very same text are equally right; name the most common.
    return str(best), codecs.lookup(min(best.could_be_from_charset, key=preference)).name


def _detect_cjk(data: bytes) -> tuple[str, str] | None:
    """Japanese and Korean, which the detector confuses with each other and with Chinese.

    Japanese prose always has hiragana, which no other CJK encoding's bytes decode to
    under Shift_JIS or EUC-JP; Korean prose is almost all Hangul, and almost all of it
    the common syllables EUC-KR has, while Chinese, Japanese or random bytes decoded
    as EUC-KR or CP949 give mixed or rare characters. Chinese is left to the detector.
    """
    for name, script, share in (
        ("shift_jis", _is_hiragana, 0.1),
        ("cp932", _is_hiragana, 0.1),
        ("euc_jp", _is_hiragana, 0.1),
        ("euc_kr", _is_common_hangul, 0.9),
        ("cp949", _is_common_hangul, 0.9),
    ):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        wide = _ASCII.sub("", text[:_SAMPLE_CHARS])
        letters = [c for c in wide if unicodedata.category(c).startswith("L")]
        if len(letters) >= 8 and sum(map(script, letters)) >= share * len(letters):
            return text, codecs.lookup(name).name
    return None


def _is_hiragana(char: str) -> bool:
    return "\u3041" <= char <= "\u309f"


def _is_common_hangul(char: str) -> bool:
    if not "\uac00" <= char <= "\ud7a3":
        return False
    try:
        char.encode("euc_kr")
    except UnicodeEncodeError:
        return False
    return True
