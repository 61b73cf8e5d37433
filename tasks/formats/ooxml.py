"""What DOCX and PPTX share: recognising the package, checking it, and its core properties.

Both are Office Open XML packages: a ZIP whose `[Content_Types].xml` names the content
type of its main part, which is what decides the format (the extension and the bare ZIP
signature do not). python-docx and python-pptx read the archive themselves with no size
limit and with their own XML parser, so the package is proven safe here first: every
member inflated within the limits, and no XML member declaring an entity.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.formats.base import Rejected
from tasks.formats.safe_xml import refuse_entities
from tasks.formats.safe_zip import SafeZip, is_zip

CONTENT_TYPES = "[Content_Types].xml"
_SNIFF_BYTES = 2 * 1024 * 1024
# Password-protected DOCX/PPTX files are OLE compound files holding the encrypted package.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"


def has_main_part(data: bytes, content_types: tuple[bytes, ...]) -> bool:
    """Whether `data` is an OOXML package whose main part has one of `content_types`."""
    if not is_zip(data):
        return False
    try:
        archive = SafeZip(data)
        declared = archive.read(CONTENT_TYPES, max_bytes=_SNIFF_BYTES) if archive.has(CONTENT_TYPES) else b""
    except Rejected:
        return False
    return any(content_type in declared for content_type in content_types)


def check_package(data: bytes, what: str, content_types: tuple[bytes, ...]) -> None:
    """Proves the package readable: every member inflates within the limits, no XML part declares entities.

    Rejected too when `[Content_Types].xml` names none of `content_types` for the main part:
    another Office format in the same ZIP structure gets a reason, not a library error.
    """
    if data.startswith(_OLE_SIGNATURE):
        raise Rejected(
            f"encrypted {what}: needs a password (or a legacy binary Office file): it is an OLE container, not a ZIP"
        )
    package = SafeZip(data, what)
    if not package.has(CONTENT_TYPES):
        raise Rejected(f"not a {what}: the ZIP has no {CONTENT_TYPES}")
    for name in package.names():
        member = package.read(name)
        if name.endswith((".xml", ".rels")):
            refuse_entities(member, f"{what} part {name}")
        if name == CONTENT_TYPES and not any(content_type in member for content_type in content_types):
            raise Rejected(f"not a {what}: {CONTENT_TYPES} declares no such main part")


def core_metadata(package: Any, core_properties: Any) -> tuple[str | None, str | None, str | None]:
    """(title, author, ISO date) from the core properties part, when the package has one.

    python-docx and python-pptx invent a core properties part ("Word Document", "PowerPoint
    Presentation") when a package has none; that must not become the document's title.
    """
    try:
        package.part_related_by(_CORE_PROPERTIES)
    except KeyError:
        return None, None, None
    title = (core_properties.title or "").strip() or None
    author = (core_properties.author or "").strip() or None
    return title, author, _iso_date(core_properties.created) or _iso_date(core_properties.modified)


def _iso_date(value: object) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    return None
