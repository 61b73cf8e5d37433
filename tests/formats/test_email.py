"""E-mail: Subject, Date and From; the text part, else the HTML part; attachments under their names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

import tasks.formats
from tasks.formats import docx, email, epub, odt, pptx, rtf
from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tests.formats.documents import folded, specs, write_docx

ARTICLE = "<html><body><article><h1>Notice</h1><p>{text}</p></article></body></html>"


def message(subject: str = "Quarterly report") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Jane Doe <jane@example.org>"
    mail["To"] = "team@example.org"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(dt.datetime(2024, 3, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    mail["Message-ID"] = "<1@example.org>"
    return mail


def test_text_part_metadata_and_a_docx_attachment(tmp_path: Path) -> None:
    spec = specs(1)[0]
    write_docx(spec, tmp_path / "report.docx")
    mail = message()
    mail.set_content("Hello team,\n\nThe report is attached.\nSee page two.\n")
    mail.add_alternative(ARTICLE.format(text="The HTML version of the message."), subtype="html")
    mail.add_attachment(
        (tmp_path / "report.docx").read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="report.docx",
    )
    data = mail.as_bytes()
    assert email.FORMAT.sniff(data)
    extracted = email.FORMAT.extract(data, Hints(name="mail.eml"))
    blocks = [folded(block) for block in extracted.text.split("\n\n")]
    assert blocks[:3] == ["Hello team,", "The report is attached. See page two.", "Attachment: report.docx"]
    assert blocks[3:] == [folded(block) for block in spec.blocks]
    assert (extracted.title, extracted.author, extracted.published) == ("Quarterly report", "Jane Doe", "2024-03-04")
    assert extracted.parts == ["attachment: report.docx"]


def test_the_html_part_when_there_is_no_text_part() -> None:
    mail = message()
    mail.set_content(ARTICLE.format(text="Only an HTML body here, long enough to be an article body."), subtype="html")
    extracted = email.FORMAT.extract(mail.as_bytes(), Hints())
    assert "Only an HTML body here, long enough to be an article body." in extracted.text
    assert "<p>" not in extracted.text


def test_a_broken_or_unsupported_attachment_is_skipped_and_named() -> None:
    mail = message()
    mail.set_content("Body text.")
    mail.add_attachment(b"PK\x03\x04broken", maintype="application", subtype="octet-stream", filename="broken.docx")
    mail.add_attachment(b"\x89PNG\r\n\x1a\n....", maintype="image", subtype="png", filename="photo.png")
    extracted = email.FORMAT.extract(mail.as_bytes(), Hints())
    assert extracted.text == "Body text."
    assert extracted.parts[0].startswith("attachment skipped: broken.docx: corrupt DOCX document")
    assert extracted.parts[1].startswith("attachment skipped: photo.png:")


def test_attached_mails_nest_only_to_the_depth_limit() -> None:
    inner = message("Level two")
    inner.set_content("Innermost body.")
    middle = message("Level one")
    middle.set_content("Middle body.")
    middle.add_attachment(inner)
    outer = message("Level zero")
    outer.set_content("Outer body.")
    outer.add_attachment(middle)
    extracted = email.FORMAT.extract(outer.as_bytes(), Hints())
    assert "Middle body." in extracted.text
    assert "Innermost body." in extracted.text
    deep = email.FORMAT.extract(outer.as_bytes(), Hints(depth=1))
    assert "Middle body." in deep.text and "Innermost body." not in deep.text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02binary garbage without headers", "not an e-mail message"),
        (b"just some words\n\nand more", "not an e-mail message"),
    ],
)
def test_broken_mail_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        email.FORMAT.extract(data, Hints(name="x.eml"))


def test_sniffing_needs_a_real_header_block() -> None:
    mail = message()
    mail.set_content("Body.")
    assert email.FORMAT.sniff(mail.as_bytes())
    assert email.FORMAT.sniff(b"Received: from mx by mx2\r\nFrom: a@b\r\nSubject: s\r\nDate: x\r\n\r\nbody")
    assert not email.FORMAT.sniff(b"From: someone\n\nA letter that only starts like a mail.")
    assert not email.FORMAT.sniff(b"Title: A note\nAuthor: Me\nDate: 2024-01-01\n\nMarkdown metadata.")
    assert not email.FORMAT.sniff(b"<html><head></head></html>")
    assert not email.FORMAT.sniff(b"From: a@b\nSubject: s\nDate: d\nthis line is no header\n\nbody")


def test_attachment_names_lose_folders_and_line_breaks(tmp_path: Path) -> None:
    spec = specs(1)[0]
    write_docx(spec, tmp_path / "a.docx")
    mail = message()
    mail.set_content("Body.")
    mail.add_attachment(
        (tmp_path / "a.docx").read_bytes(),
        maintype="application",
        subtype="octet-stream",
        filename="..\\..\\secret/folder/report.docx",
    )
    assert "Attachment: report.docx" in email.FORMAT.extract(mail.as_bytes(), Hints()).text


def test_sniffing_a_header_block_longer_than_the_sample() -> None:
    received = b"".join(
        b"Received: from relay%d.example.org by mx.example.org; Mon, 4 Mar 2024\r\n" % n for n in range(400)
    )
    data = received + b"From: a@example.org\r\nSubject: s\r\nDate: Mon, 4 Mar 2024 10:00:00 +0000\r\n\r\nBody."
    assert len(received) > 16384
    assert email.FORMAT.sniff(data)
