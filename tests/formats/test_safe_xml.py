"""XML from documents: external entities and entity expansion refused with a reason."""

from __future__ import annotations

import time

import pytest

from tasks.formats.base import Rejected
from tasks.formats.safe_xml import parse_xml, refuse_entities
from tests.formats.hostile import BILLION_LAUGHS, XXE


def test_parses_ordinary_xml() -> None:
    root = parse_xml(b'<?xml version="1.0"?><a xmlns="urn:x"><b>text</b></a>', "test.xml")
    assert root.findtext("{urn:x}b") == "text"


def test_an_external_entity_is_refused_and_never_read() -> None:
    with pytest.raises(Rejected, match="XML entity expansion refused: test.xml") as rejected:
        parse_xml(XXE, "test.xml")
    assert "root:" not in str(rejected.value)


def test_billion_laughs_is_refused_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(Rejected, match="XML entity expansion refused"):
        parse_xml(BILLION_LAUGHS, "test.xml")
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("attack", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_utf16_attacks_are_refused_too(attack: bytes) -> None:
    data = attack.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    with pytest.raises(Rejected, match="XML entity expansion refused"):
        parse_xml(data, "test.xml")


def test_the_parser_alone_refuses_entities_the_byte_check_misses() -> None:
    # An entity declared in a UTF-32 document slips past the byte check; the parsed DTD does not.
    data = XXE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-32"').encode("utf-32")
    with pytest.raises(Rejected, match="XML entity expansion refused|corrupt XML"):
        parse_xml(data, "test.xml")


def test_markup_declaring_entities_is_refused_without_parsing() -> None:
    with pytest.raises(Rejected, match="chapter.xhtml declares entities"):
        refuse_entities(b"<!DOCTYPE html [<!ENTITY a 'b'>]><html/>", "chapter.xhtml")
    refuse_entities(b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "x.dtd"><html/>', "chapter.xhtml")


@pytest.mark.parametrize(
    ("data", "reason"), [(b"", "empty XML"), (b"<a><b></a>", "corrupt XML"), (b"\x00\xff", "corrupt XML")]
)
def test_broken_xml_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        parse_xml(data, "test.xml")
