"""XML from untrusted documents, parsed with entity resolution, DTDs and the network off.

Office, OpenDocument and EPUB files are ZIPs of XML, and XML can declare entities that
read local files (XXE: `<!ENTITY x SYSTEM "file:///etc/passwd">`) or expand a kilobyte
into gigabytes ("billion laughs"). None of these formats needs a DTD entity, so a
document that declares one is refused outright with a reason, before and after parsing
(the byte check misses UTF-16 documents; the parsed DTD does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.formats.base import Rejected

if TYPE_CHECKING:
    from lxml import etree

ENTITY_REFUSED = "XML entity expansion refused: {what} declares entities (XXE or billion laughs)"


def refuse_entities(data: bytes, what: str) -> None:
    """Rejects markup that declares an entity, without parsing it (also for XHTML read as HTML)."""
    if b"<!ENTITY" in data or "<!ENTITY".encode("utf-16-le") in data or "<!ENTITY".encode("utf-16-be") in data:
        raise Rejected(ENTITY_REFUSED.format(what=what))


def parse_xml(data: bytes, what: str) -> etree._Element:
    """The root element of `data`; Rejected with a reason for bad, empty or entity-declaring XML."""
    from lxml import etree

    if not data.strip():
        raise Rejected(f"empty XML: {what}")
    refuse_entities(data, what)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        if "entity" in str(error).lower() and "amplification" in str(error).lower():
            raise Rejected(ENTITY_REFUSED.format(what=what)) from None
        raise Rejected(f"corrupt XML in {what}: {error}") from None
    except (ValueError, etree.LxmlError) as error:
        raise Rejected(f"corrupt XML in {what}: {error}") from None
    if root is None:
        raise Rejected(f"empty XML: {what}")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise Rejected(ENTITY_REFUSED.format(what=what))
    return root
