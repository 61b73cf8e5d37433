"""Text and HTML in the encodings found in the wild decode to the right text.

Real sentences come from the shared language corpus (../shared beside the checkout),
encoded here in each legacy encoding; the tests skip when that folder is absent.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from tasks import decode
from tasks.decode import UndecodableError, decode_html, decode_text
from storage.record import Document
from tasks.extract import parse
from tasks.repair import repair

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "lang"
needs_corpus = pytest.mark.skipif(
    not (CORPUS / "sentences").is_dir(), reason=f"shared language corpus not found at {CORPUS} (../shared is absent)"
)
_C1 = re.compile("[\x80-\x9f]")


def sentences(code: str, encoding: str, start: int = 0, min_bytes: int = 300, kind: str = "sentences") -> str:
    """Consecutive corpus lines with non-ASCII letters that `encoding` can hold, ≥ `min_bytes`.

    Lines carrying the corpus's own damage (C1 controls, mojibake, entities: anything
    `repair` would change) are left out, so the expected text is correct text.
    """
    usable = []
    for line in (CORPUS / kind / f"{code}.txt").read_text(encoding="utf-8").splitlines():
        if line.isascii() or _C1.search(line) or repair(line, entities=True) != line:
            continue
        try:
            line.encode(encoding)
        except UnicodeEncodeError:
            continue
        usable.append(line)
    chosen: list[str] = []
    for line in usable[start:]:
        chosen.append(line)
        if len("\n".join(chosen).encode(encoding)) >= min_bytes:
            return "\n".join(chosen)
    pytest.fail(f"not enough {code} lines encodable in {encoding}")


LATIN = {"cp1252", "iso8859-1", "iso8859-15"}
CASES = [
    ("ru", "cp1251", {"cp1251"}),
    ("ru", "koi8-r", {"koi8-r"}),
    ("zh", "gb18030", {"gb18030"}),
    ("ja", "shift_jis", {"shift_jis", "cp932"}),
    ("ja", "euc_jp", {"euc_jp"}),
    ("ko", "euc-kr", {"euc_kr", "cp949"}),
    ("fr", "latin-1", LATIN),
    ("fr", "cp1252", LATIN),
    ("fr", "iso-8859-15", LATIN),
    ("de", "latin-1", LATIN),
    ("de", "cp1252", LATIN),
    ("de", "iso-8859-15", LATIN),
]


@needs_corpus
@pytest.mark.parametrize(("code", "encoding", "accepted"), CASES, ids=[f"{c}-{e}" for c, e, _ in CASES])
@pytest.mark.parametrize("start", [0, 40, 120])
def test_undeclared_legacy_encodings_are_detected(code: str, encoding: str, accepted: set[str], start: int) -> None:
    text = sentences(code, encoding, start)
    data = text.encode(encoding)
    decoded, found = decode_text(data)
    assert decoded == text
    assert found in accepted
    assert data.decode(found) == text


@needs_corpus
@pytest.mark.parametrize("start", [0, 30, 90])
def test_big5_is_detected(start: int) -> None:
    # The corpus's Chinese sentences are Simplified, which Big5 cannot encode; its
    # Chinese word pairs that Big5 can hold stand in, run together as prose is.
    pairs = sentences("zh", "big5", start, kind="word-pairs").split("\n")
    text = "。".join("".join(pairs[i : i + 6]) for i in range(0, len(pairs), 6)) + "。"
    decoded, found = decode_text(text.encode("big5"))
    assert decoded == text
    assert found in {"big5", "big5hkscs", "cp950"}


@needs_corpus
def test_iso_8859_15_is_told_from_windows_1252_by_its_euro_and_oe() -> None:
    # The corpus stores these French lines with Windows-1252 bytes left in as C1
    # characters; repaired, they are the correct text with € and œ.
    lines = (CORPUS / "sentences" / "fr.txt").read_text(encoding="utf-8").splitlines()
    text = "\n".join(fixed for fixed in map(repair, lines) if "œ" in fixed or "€" in fixed)
    decoded, found = decode_text(text.encode("iso-8859-15"))
    assert (decoded, found) == (text, "iso8859-15")


@needs_corpus
@pytest.mark.parametrize(
    ("bom", "encoding", "name"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    ],
)
@pytest.mark.parametrize("code", ["ru", "zh", "fr"])
def test_byte_order_marks_decide(bom: bytes, encoding: str, name: str, code: str) -> None:
    text = sentences(code, "utf-8")
    assert decode_text(bom + text.encode(encoding)) == (text, name)


@needs_corpus
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("code", ["ru", "fr", "ko"])
def test_utf16_and_32_without_bom_are_recognised_by_their_nuls(encoding: str, code: str) -> None:
    text = sentences(code, "utf-8")
    assert decode_text(text.encode(encoding)) == (text, encoding)


def test_valid_utf8_is_decoded_without_the_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    def detector_called(*_: object, **__: object) -> None:
        raise AssertionError("the detector ran on valid UTF-8")

    monkeypatch.setattr(decode.charset_normalizer, "from_bytes", detector_called)
    text = "Привет, мир. 你好，世界。 Grüße aus Köln.\n" * 50
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_html(f"<p>{text}</p>".encode()) == (f"<p>{text}</p>", "utf-8")


@needs_corpus
@pytest.mark.parametrize(
    ("template", "encoding", "expected"),
    [
        ('<html><head><meta charset="windows-1251"><title>t</title></head><body><p>{}</p></body></html>', "cp1251", "cp1251"),
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=KOI8-R"></head>'
            "<body><p>{}</p></body></html>",
            "koi8-r",
            "koi8-r",
        ),
        ('<?xml version="1.0" encoding="koi8-r"?><html xmlns="http://www.w3.org/1999/xhtml"><p>{}</p></html>', "koi8-r", "koi8-r"),
    ],
)
def test_html_declarations_are_honoured(template: str, encoding: str, expected: str) -> None:
    # Short Russian snippets are where a detector alone guesses wrong; the page says.
    markup = template.format(sentences("ru", encoding, min_bytes=40))
    assert decode_html(markup.encode(encoding)) == (markup, expected)


def test_a_declaration_the_bytes_do_not_fit_is_ignored() -> None:
    markup = '<meta charset="utf-8"><p>' + "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 6 + "</p>"
    decoded, found = decode_html(markup.encode("cp1251"))
    assert (decoded, found) == (markup, "cp1251")


def test_latin1_declaration_reads_windows_1252_quotes() -> None:
    markup = '<meta charset="iso-8859-1"><p>l\u2019\u00e9cole co\u00fbte 5\u20ac</p>'
    assert decode_html(markup.encode("cp1252")) == (markup, "cp1252")


def test_utf16_declaration_inside_ascii_bytes_is_not_believed() -> None:
    markup = '<meta charset="utf-16"><p>caf\u00e9</p>'
    assert decode_html(markup.encode("utf-8")) == (markup, "utf-8")


def test_bytes_no_encoding_explains_are_undecodable() -> None:
    with pytest.raises(UndecodableError, match="undecodable"):
        decode_text(bytes(range(0x80, 0xA0)) * 20)


def test_mojibake_is_repaired_and_correct_text_kept() -> None:
    text = "Le café coûte 3 € à Zürich — déjà vu, naïve façade."
    doc = Document(key="moji.txt", path="moji.txt")
    parse(doc, text.encode("utf-8").decode("cp1252").encode("utf-8"))
    assert doc.text == text
    assert doc.encoding == "utf-8"
    kept = Document(key="fine.txt", path="fine.txt")
    parse(kept, text.encode("utf-8"))
    assert kept.text == text


def test_entities_left_in_plain_text_are_decoded_but_not_in_html() -> None:
    doc = Document(key="a.txt", path="a.txt")
    parse(doc, b"Fish &amp; chips at the caf&eacute;, AT&T and ?a=1&b=2 stay.")
    assert doc.text == "Fish & chips at the café, AT&T and ?a=1&b=2 stay."
    page = Document(key="a.html", path="a.html")
    parse(page, b"<p>Write &amp;amp; to get &amp;.</p>")
    assert page.text.strip() == "Write &amp; to get &."


@needs_corpus
def test_repair_never_changes_correct_sentences() -> None:
    # Every change repair makes to the real corpus must be a fix of visible damage.
    damage = re.compile(r"&#?\w+;|[\x80-\x9f]|Ã|Â|â€|Ä|Å|Ĺ|ď»|ďż˝|ï¿½|Ð|Ñ")
    for corpus_file in sorted((CORPUS / "sentences").glob("*.txt")):
        for line in corpus_file.read_text(encoding="utf-8").splitlines():
            if repair(line, entities=True) != line:
                assert damage.search(line), (corpus_file.stem, line)


def test_the_encoding_is_recorded_on_the_document() -> None:
    doc = Document(key="ru.txt", path="ru.txt")
    parse(doc, ("Съешь же ещё этих мягких французских булок, да выпей чаю. " * 8).encode("koi8-r"))
    assert (doc.status, doc.encoding, doc.format) == ("active", "koi8-r", "text")


def test_utf8_page_mislabelled_latin1_is_repaired_after_parsing() -> None:
    # The declaration is trusted because the bytes decode under it; the mojibake that
    # produces in the text is what repair is for.
    page = Document(key="p.html", path="p.html")
    parse(page, '<meta charset="iso-8859-1"><p>Le café coûte 3 € à Zürich — déjà vu.</p>'.encode())
    assert (page.encoding, page.text) == ("cp1252", "Le café coûte 3 € à Zürich — déjà vu.")


def test_a_few_stray_nul_bytes_do_not_make_a_page_binary() -> None:
    page = ("<html><body><p>" + "Ein ganz normaler Absatz. " * 40 + "</p></body></html>").encode()
    text, encoding = decode_html(page[:300] + b"\x00" + page[300:])
    assert encoding == "utf-8" and "\x00" not in text and "Ein ganz normaler Absatz." in text
