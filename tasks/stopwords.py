"""Frequent-word lists per language, from jusText (installed with trafilatura).

Character n-grams see spelling, not words: Danish and Norwegian Bokmål, Czech and Slovak,
Dutch and Afrikaans share most of their trigrams but not their commonest words ("blev"
against "ble", "nu" against "nå"). jusText ships such lists (frequent Wikipedia words)
for the languages seedflow detects, so the language stage adds them as evidence
without another dependency or data file of its own.
"""

from __future__ import annotations

import pkgutil

# ISO 639-1 code → jusText stoplist name, for the languages langdetect has profiles for
# and jusText a list (Somali has none, and single-script languages do not need one).
_LISTS = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "mr": "Marathi",
    "ne": "Nepali",
    "nl": "Dutch",
    "no": "Norwegian_Bokmal",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sv": "Swedish",
    "sw": "Swahili",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
}


def stopwords(code: str) -> frozenset[str]:
    """The lowercase frequent words of a language; empty when jusText has no list for it."""
    name = _LISTS.get(code)
    data = pkgutil.get_data("justext", f"stoplists/{name}.txt") if name else None
    return frozenset(data.decode("utf-8").lower().split()) if data else frozenset()
