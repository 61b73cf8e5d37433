"""Undo damage done to text before it reached us: mojibake and leftover HTML entities.

ftfy is run with only the fixes that cannot change correct text: decoding mojibake
(which ftfy applies only where the text looks wrong) and mapping C1 control characters,
which correct text never holds, to the Windows-1252 characters they stand for. Its other
fixes (straight quotes, half-width forms, ligatures, NFC, line breaks) would rewrite
correct text, and normalising is the clean stage's job anyway.
"""

from __future__ import annotations

import ftfy
from ftfy.badness import is_bad
from ftfy.chardata import C1_CONTROL_RE

_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=False,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
_WITH_ENTITIES = _CONFIG._replace(unescape_html=True)


def repair(text: str, *, entities: bool = False) -> str:
    """`text` with mojibake undone and, if `entities`, HTML entities such as `&amp;` decoded.

    Entities are decoded only in text that is not markup (an HTML parser has already
    decoded the real ones, so any left are meant literally); ftfy decodes only complete
    references ending in `;`, so "AT&T" or "?a=1&b=2" stay as they are. ftfy works line
    by line and changes nothing in a line its mojibake check does not flag, so only
    flagged lines get its full fixer (which runs every check at least twice); ASCII
    lines are skipped outright. The check still costs about 0.3 s per MB of accented text.
    """
    config = _WITH_ENTITIES if entities else _CONFIG
    return "\n".join(ftfy.fix_text(line, config) if _flagged(line, entities) else line for line in text.split("\n"))


def _flagged(text: str, entities: bool) -> bool:
    if text.isascii():
        return entities and "&" in text
    return is_bad(text) or bool(C1_CONTROL_RE.search(text)) or (entities and "&" in text)
