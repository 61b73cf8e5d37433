"""E-mail messages (.eml): Subject, Date and From as metadata, the text part as body, attachments after.

The standard library's `email` package with `policy.default` parses the message and
decodes headers and parts. The body is the text/plain part, else the text/html part
through seedflow's HTML extraction. An attachment in a supported format belongs to the
one document: its text is appended under a heading naming it; one that cannot be read
is skipped and named in `Extracted.parts`, and never fails the mail. Attachments nest
(a forwarded mail with its own attachments) only to `MAX_DEPTH` containers.

Without an `.eml` extension a file is taken for a mail only when its first lines are a
header block holding a sender header and two more of the usual mail headers (or a long
run of `Received:` lines).
"""

from __future__ import annotations

import re
from typing import Any

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected

MAX_DEPTH = 2
_FIELD = re.compile(rb"^([!-9;-~]+):")
_SENDER_FIELDS = frozenset({b"from", b"received", b"return-path", b"delivered-to"})
_MAIL_FIELDS = frozenset(
    {
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"message-id",
        b"mime-version",
        b"reply-to",
        b"in-reply-to",
        b"references",
        b"content-type",
        b"content-transfer-encoding",
        b"x-mailer",
        b"user-agent",
        b"dkim-signature",
        b"sender",
    }
    | _SENDER_FIELDS
)
_SNIFF_BYTES = 16384
_RELAY_LINES = 10


def sniff(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES].lstrip(b"\r\n")
    parts = re.split(rb"\r?\n\r?\n", head, maxsplit=1)
    block = parts[0]
    if len(parts) == 1 and len(data) > _SNIFF_BYTES:
        # The header block goes on past the sample: its last line may be cut anywhere.
        block = block.rsplit(b"\n", 1)[0]
    if not block.strip():
        return False
    fields: set[bytes] = set()
    lines = 0
    for line in block.splitlines():
        if line[:1] in (b" ", b"\t"):
            continue
        match = _FIELD.match(line)
        if match is None:
            return False
        fields.add(match.group(1).lower())
        lines += 1
    # A long run of Received: lines (a mail through many relays) is as sure a sign as three fields.
    relayed = b"received" in fields and lines >= _RELAY_LINES
    return bool(fields & _SENDER_FIELDS) and (len(fields & _MAIL_FIELDS) >= 3 or relayed)


def extract(data: bytes, hints: Hints) -> Extracted:
    if not data.strip():
        raise Rejected("empty file: no e-mail message")
    from email import policy
    from email.parser import BytesParser

    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        title = _header(message, "subject")
        author = _sender(message)
        published = _date(message)
        body = _body(message)
    except Rejected:
        raise
    except Exception as error:  # noqa: BLE001 - the email package raises many kinds on hostile headers
        raise Rejected(f"corrupt e-mail message: {type(error).__name__}: {error}") from None
    if not (title or author or published or message.get("message-id")):
        raise Rejected("not an e-mail message: no Subject, From, Date or Message-ID header")
    blocks = [body] if body else []
    parts: list[str] = []
    for name, content in _attachments(message):
        if hints.depth + 1 > MAX_DEPTH:
            parts.append(f"attachment not read, nested too deeply: {name}")
            continue
        text = _attachment_text(name, content, hints, parts)
        if text:
            blocks.append(f"Attachment: {name}\n\n{text}")
    if not blocks:
        raise Rejected("no text: the message has no text part and no readable attachment")
    return Extracted(
        text="\n\n".join(blocks),
        title=title,
        author=author,
        published=published or hints.published,
        parts=parts,
    )


def _header(message: Any, name: str) -> str | None:
    value = message.get(name)
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _sender(message: Any) -> str | None:
    header = message.get("from")
    if header is None:
        return None
    addresses = getattr(header, "addresses", ())
    if addresses:
        return addresses[0].display_name or addresses[0].addr_spec or None
    return _header(message, "from")


def _date(message: Any) -> str | None:
    header = message.get("date")
    moment = getattr(header, "datetime", None)
    return moment.date().isoformat() if moment is not None else None


def _body(message: Any) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        from tasks.html.text import extract_html

        return extract_html(content).text
    return _plain_paragraphs(content)


def _plain_paragraphs(text: str) -> str:
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(block.strip("\n") for block in blocks if block.strip())


def _attachments(message: Any) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            content = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
            found.append((_file_name(part.get_filename(), f"message-{number}.eml"), content))
        elif not part.is_multipart():
            found.append(
                (_file_name(part.get_filename(), f"attachment-{number}"), part.get_payload(decode=True) or b"")
            )
    return found


def _file_name(declared: str | None, default: str) -> str:
    """The attachment's own name without any folder a sender put in it, on one line."""
    name = " ".join(re.split(r"[/\\]", declared or "")[-1].split())
    return name or default


def _attachment_text(name: str, content: bytes, hints: Hints, parts: list[str]) -> str:
    from tasks.formats import extract_any

    try:
        _, extracted = extract_any(content, Hints(name=name, depth=hints.depth + 1))
    except Rejected as reason:
        parts.append(f"attachment skipped: {name}: {reason}")
        return ""
    parts.append(f"attachment: {name}")
    return extracted.text


FORMAT = FileFormat(
    name="email",
    extensions=frozenset({".eml"}),
    sniff=sniff,
    extract=extract,
    binary=False,
)
