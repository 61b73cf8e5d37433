"""Rich Text Format: the body's paragraphs and table cells, title and author from `\\info`.

A small reader rather than `striprtf`: that library glues table cells into one line with
`|`, keeps no document metadata, and runs a backtracking regular expression over the
whole file for hyperlinks. This one is a single linear pass over a token regex, with a
stack of group states. Headers, footers, footnotes, comments, list numbers, field
instructions, pictures, objects and every `{\\*\\…}` destination it does not know are
skipped; `\\uN` escapes (with their fallback characters dropped) and `\\'hh` bytes in the
document's or the font's code page are decoded.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected

_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|[\r\n]+|([^\\{}\r\n]+)",
    re.DOTALL,
)
_SKIPPED = frozenset(
    "fonttbl colortbl stylesheet listtable listoverridetable listtext pntext pntxta pntxtb pn rsidtbl generator"
    " xmlnstbl revtbl filetbl header headerl headerr headerf footer footerl footerr footerf footnote annotation"
    " atnid atnauthor atndate atnref atrfstart atrfend pict object objdata shp shpinst shppict nonshppict fldinst"
    " themedata colorschememapping datastore latentstyles bkmkstart bkmkend txe xe tc tcn docvar userprops"
    " passwordhash template background mmathPr wgrffmtfilter pgdsctbl ftnsep ftnsepc ftncn aftnsep aftnsepc"
    " aftncn mailmerge formfield datafield protusertbl".split()
)
_INFO_FIELDS = frozenset({"title", "author"})
_BREAKS = frozenset({"par", "sect", "page", "cell", "nestcell", "row", "nestrow"})
_CHARACTERS = {
    "line": "\n",
    "tab": "\t",
    "emdash": "\u2014",
    "endash": "\u2013",
    "emspace": "\u2003",
    "enspace": "\u2002",
    "qmspace": "\u2005",
    "bullet": "\u2022",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
    "zwj": "\u200d",
    "zwnj": "\u200c",
}
_SYMBOLS = {"~": "\u00a0", "_": "-", "\\": "\\", "{": "{", "}": "}", "\t": "\t"}
# \fcharset values to Python codecs (the RTF specification's table, common entries); 0 is
# "ANSI", the document's \ansicpg, so it is not listed.
_CHARSETS = {
    77: "mac_roman",
    128: "cp932",
    129: "cp949",
    134: "gbk",
    136: "cp950",
    161: "cp1253",
    162: "cp1254",
    163: "cp1258",
    177: "cp1255",
    178: "cp1256",
    186: "cp1257",
    204: "cp1251",
    222: "cp874",
    238: "cp1250",
    254: "cp437",
    255: "cp850",
}
_TITLE_STYLES = ("Title", "Heading 1", "heading 1")


@dataclass(frozen=True)
class _Group:
    """What a group's text is for: `None` is the body, else a skipped or metadata destination."""

    destination: str | None = None
    unicode_skip: int = 1
    font: int | None = None
    hidden: bool = False
    style: int | None = None


def sniff(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5] == b"{\\rtf"


class _Reader:
    """What one pass has read so far: body paragraphs, metadata, and the decoding state."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.line: list[str] = []
        self.pending: bytearray = bytearray()
        self.codepage = "cp1252"
        self.font_codepages: dict[int, str] = {}
        self.style_names: dict[int, str] = {}
        self.style_name: list[str] = []
        self.paragraph_style = 0
        self.info: dict[str, list[str]] = {}
        self.title: str | None = None
        self.skip = 0

    def text(self, group: _Group, value: str) -> None:
        if self.skip:
            dropped = min(self.skip, len(value))
            self.skip -= dropped
            value = value[dropped:]
        if not value:
            return
        if group.destination is None:
            if not group.hidden:
                self.line.append(value)
        elif group.destination in _INFO_FIELDS:
            self.info.setdefault(group.destination, []).append(value)
        elif group.destination == "stylesheet" and group.style is not None:
            self.style_name.append(value)

    def byte(self, group: _Group, value: int) -> None:
        if self.skip:
            self.skip -= 1
            return
        self.pending.append(value)

    def flush(self, group: _Group) -> None:
        """Decodes `\\'hh` bytes together, as a double-byte code page splits characters over two."""
        if not self.pending:
            return
        raw, self.pending = bytes(self.pending), bytearray()
        skip, self.skip = self.skip, 0
        self.text(group, self.decode(group, raw))
        self.skip = skip

    def decode(self, group: _Group, raw: bytes) -> str:
        codepage = self.font_codepages.get(group.font, self.codepage) if group.font is not None else self.codepage
        return raw.decode(codepage, errors="replace")

    def end_paragraph(self) -> None:
        text = _from_utf16("".join(self.line)).strip()
        self.line = []
        if text:
            self.paragraphs.append(text)
            style = self.style_names.get(self.paragraph_style, "")
            if self.title is None and style.startswith(_TITLE_STYLES):
                self.title = " ".join(text.split())


def _from_utf16(text: str) -> str:
    """Joins the surrogate pairs that `\\uN` escapes spell characters outside the BMP with."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def extract(data: bytes, hints: Hints) -> Extracted:
    if not data.strip():
        raise Rejected("empty file: no RTF document")
    if not sniff(data):
        raise Rejected("not an RTF document: it does not start with {\\rtf")
    reader = _Reader()
    stack: list[_Group] = []
    group = _Group()
    star = False
    position = data.index(b"{")
    end = len(data)
    while position < end:
        match = _TOKEN.match(data, position)
        if match is None:
            break
        position = match.end()
        word, argument, hexbyte, symbol, brace, plain = match.groups()
        if hexbyte is not None:
            reader.byte(group, int(hexbyte, 16))
            continue
        reader.flush(group)
        if brace == b"{":
            stack.append(group)
            reader.skip = 0
        elif brace == b"}":
            if not stack:
                break
            if group.destination == "stylesheet" and group.style is not None and reader.style_name:
                reader.style_names[group.style] = "".join(reader.style_name).rstrip("; ")
            reader.style_name = []
            group = stack.pop()
            reader.skip = 0
            if not stack:
                break
        elif plain is not None:
            reader.text(group, reader.decode(group, plain))
        elif symbol is not None:
            if symbol == b"*":
                star = True
                continue
            if symbol in (b"\n", b"\r"):
                _body_break(reader, group)
            elif (char := _SYMBOLS.get(symbol.decode("latin-1"))) is not None:
                reader.text(group, char)
        elif word is not None:
            name = word.decode("ascii")
            value = int(argument) if argument is not None else None
            group, position = _control(reader, group, name, value, star, data, position)
        star = False
    if stack:
        raise Rejected(f"truncated RTF document: {len(stack)} group(s) left open")
    reader.flush(group)
    reader.end_paragraph()
    if not reader.paragraphs:
        raise Rejected("no text: the RTF document has no body text")
    info = {key: " ".join(_from_utf16("".join(parts)).split()) or None for key, parts in reader.info.items()}
    return Extracted(
        text="\n\n".join(reader.paragraphs),
        title=info.get("title") or reader.title,
        author=info.get("author"),
        published=_creation_date(data) or hints.published,
    )


def _body_break(reader: _Reader, group: _Group) -> None:
    if group.destination is None:
        reader.end_paragraph()


def _control(
    reader: _Reader, group: _Group, name: str, value: int | None, star: bool, data: bytes, position: int
) -> tuple[_Group, int]:
    """Applies one control word; returns the group state after it and where reading goes on."""
    if name == "bin":
        return group, position + max(value or 0, 0)
    if name == "u" and value is not None:
        reader.skip = 0
        reader.text(group, chr(value + 65536 if value < 0 else value) if -65536 < value < 65536 else "")
        reader.skip = group.unicode_skip
        return group, position
    if group.destination == "skip":
        return group, position
    if group.destination == "info":
        # {\upr{ANSI fields}{\*\ud{Unicode fields}}}: the Unicode copy comes last and wins.
        if name in ("upr", "ud"):
            return group, position
        if name in _INFO_FIELDS:
            reader.info[name] = []
            return replace(group, destination=name), position
        return replace(group, destination="skip"), position
    if name in _SKIPPED and name not in ("stylesheet", "fonttbl") or star:
        return replace(group, destination="skip"), position
    if name in ("stylesheet", "fonttbl"):
        return replace(group, destination=name), position
    if name == "info":
        return replace(group, destination="info"), position
    if name == "uc":
        return replace(group, unicode_skip=max(0, min(value or 0, 10))), position
    if name == "f":
        return replace(group, font=value), position
    if name == "fcharset" and group.destination == "fonttbl" and group.font is not None:
        codepage = _CHARSETS.get(value or 0)
        if codepage:
            reader.font_codepages[group.font] = codepage
        return group, position
    if name == "ansicpg" and value:
        reader.codepage = _codec(f"cp{value}") or reader.codepage
        return group, position
    if name == "s" and group.destination == "stylesheet":
        return replace(group, style=value or 0), position
    if name == "s" and group.destination is None:
        reader.paragraph_style = value or 0
    elif name == "pard":
        reader.paragraph_style = 0
    elif name in ("v", "deleted"):
        # Hidden text and tracked deletions are not shown, so not body text.
        return replace(group, hidden=value != 0), position
    elif name == "plain":
        return replace(group, hidden=False), position
    elif name in _BREAKS:
        _body_break(reader, group)
    elif name in _CHARACTERS:
        reader.text(group, _CHARACTERS[name])
    return group, position


_CREATED = re.compile(rb"\\creatim\\yr(\d{4})(?:\\mo(\d{1,2}))?(?:\\dy(\d{1,2}))?")


def _creation_date(data: bytes) -> str | None:
    match = _CREATED.search(data, 0, 65536)
    if not match:
        return None
    year, month, day = (int(part) if part else 1 for part in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


FORMAT = FileFormat(name="rtf", extensions=frozenset({".rtf"}), sniff=sniff, extract=extract)
