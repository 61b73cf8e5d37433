"""Writing systems: which script a text's letters are in, and what that says about its language.

A statistical detector spends its evidence re-discovering what a Unicode range states
outright: Hangul is Korean, Thai script is Thai. Knowing the script first lets the
language stage answer those texts at once, and narrows the rest (Cyrillic, Arabic,
Devanagari, Latin) to the languages that are written in that script.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# Scripts written by (practically) one language: the script is the answer.
SINGLE_LANGUAGE: dict[str, str] = {
    "greek": "el",
    "hebrew": "he",
    "thai": "th",
    "hangul": "ko",
    "kana": "ja",
    "georgian": "ka",
    "armenian": "hy",
    "bengali": "bn",
    "gurmukhi": "pa",
    "gujarati": "gu",
    "tamil": "ta",
    "telugu": "te",
    "kannada": "kn",
    "malayalam": "ml",
}

# The letters of each script (combining marks of Indic scripts are inside their blocks).
RANGES: dict[str, str] = {
    "latin": "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "cyrillic": "\u0400-\u052f",
    "armenian": "\u0530-\u058f",
    "hebrew": "\u0590-\u05ff",
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "devanagari": "\u0900-\u097f",
    "bengali": "\u0980-\u09ff",
    "gurmukhi": "\u0a00-\u0a7f",
    "gujarati": "\u0a80-\u0aff",
    "tamil": "\u0b80-\u0bff",
    "telugu": "\u0c00-\u0c7f",
    "kannada": "\u0c80-\u0cff",
    "malayalam": "\u0d00-\u0d7f",
    "thai": "\u0e00-\u0e7f",
    "georgian": "\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f",
    "hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
    "kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f",
}
# One alternation, one pass: runs of each script are matched in C, not char by char.
_SCRIPT_RUNS = re.compile("|".join(f"(?P<{name}>[{chars}]+)" for name, chars in RANGES.items()))

# Boilerplate around non-Latin text (menus, HTTP headers, brand names) is mostly Latin;
# the reverse is rare. So a non-Latin script with at least this share of the letters
# decides the language even when Latin letters outnumber it.
NON_LATIN_SHARE = 0.25


@dataclass(frozen=True)
class ScriptProfile:
    """Letter counts per script, and the script that should decide the language."""

    counts: Counter[str]

    @property
    def letters(self) -> int:
        return sum(self.counts.values())

    @property
    def main(self) -> str | None:
        """The deciding script: the largest non-Latin one if it has its share, else Latin."""
        if not self.counts:
            return None
        others = [(n, s) for s, n in self.counts.items() if s != "latin"]
        if others:
            count, script = max(others)
            if count >= NON_LATIN_SHARE * self.letters or not self.counts["latin"]:
                # Japanese mixes kana with Han: any real share of kana makes Han text Japanese.
                if script == "han" and self.counts["kana"] >= 0.1 * count:
                    return "kana"
                return script
        return "latin"


def profile(text: str) -> ScriptProfile:
    """Count the letters of `text` per script."""
    counts: Counter[str] = Counter()
    for match in _SCRIPT_RUNS.finditer(text):
        counts[match.lastgroup or ""] += match.end() - match.start()
    return ScriptProfile(counts)


def language_of_script(script: str | None, hint: str | None = None) -> str | None:
    """The language a script implies on its own, or None when the script is shared.

    Han without kana is Chinese, unless the page declares Japanese: kanji-only Japanese
    (a headline, a name) exists, kana-free Chinese is the rule.
    """
    if script == "han":
        return "ja" if hint == "ja" else "zh"
    return SINGLE_LANGUAGE.get(script or "")
