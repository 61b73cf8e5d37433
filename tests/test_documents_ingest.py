"""Office and publishing documents through `seedflow ingest`: each stored with its format and
metadata, hostile ones rejected with their reason, and the rest of the batch kept."""

from __future__ import annotations

import shutil
from email.message import EmailMessage
from pathlib import Path

from flows.ingest import ingest
from storage.access import export_records
from tests.formats.documents import folded, specs, write_docx, write_pptx
from tests.formats.hostile import BILLION_LAUGHS, PNG, rezip

SAMPLES = Path(__file__).parent / "formats" / "files"


def _mail(attachment: bytes) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Jane Doe <jane@example.org>"
    mail["To"] = "team@example.org"
    mail["Subject"] = "Flood report"
    mail["Date"] = "Mon, 04 Mar 2024 10:00:00 +0000"
    mail.set_content("The report on the flood is attached to this message for everyone in the team.")
    mail.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="report.docx")
    return mail.as_bytes()


def test_office_documents_are_ingested_with_their_format_and_metadata(tmp_path: Path, sqlite_url: str) -> None:
    source = tmp_path / "docs"
    source.mkdir()
    spec, deck = specs(2)
    write_docx(spec, source / "report.docx")
    write_pptx(deck, source / "slides.pptx")
    for name in ("sample.odt", "sample.rtf", "sample.epub", "encrypted-aes256.pdf"):
        shutil.copy(SAMPLES / name, source / name)
    (source / "mail.eml").write_bytes(_mail((source / "report.docx").read_bytes()))
    (source / "photo.docx").write_bytes(PNG)
    (source / "laughs.docx").write_bytes(rezip((source / "report.docx").read_bytes(), {"word/document.xml": BILLION_LAUGHS}))
    (source / "empty.pdf").write_bytes(b"")
    (source / "notes.txt").write_text("A plain note that sits beside the office files and must be stored.", encoding="utf-8")

    report = ingest(source=str(source), db=sqlite_url, retry_delay_seconds=0)

    records = {r["key"]: r for r in export_records(sqlite_url)}
    assert {k: r["format"] for k, r in records.items() if r["status"] == "active"} == {
        "report.docx": "docx", "slides.pptx": "pptx", "sample.odt": "odt", "sample.rtf": "rtf",
        "sample.epub": "epub", "mail.eml": "email", "notes.txt": "text",
    }
    docx = records["report.docx"]
    assert (docx["title"], docx["author"], docx["language"]) == (spec.title, spec.author, spec.language)
    assert all(folded(block) in folded(docx["text"]) for block in spec.blocks)
    assert not any(marker in docx["text"] for marker in spec.furniture)
    mail = records["mail.eml"]
    assert (mail["title"], mail["published"]) == ("Flood report", "2024-03-04")
    assert "Attachment: report.docx" in mail["text"] and folded(spec.body[0]) in folded(mail["text"])
    rejected = {k: r["error"] for k, r in records.items() if r["status"] == "rejected"}
    assert set(rejected) == {"photo.docx", "laughs.docx", "empty.pdf", "encrypted-aes256.pdf"}
    assert "XML entity expansion refused" in rejected["laughs.docx"]
    assert rejected["encrypted-aes256.pdf"] == "encrypted: needs a password"
    assert report["outcomes"]["rejected"] == 4
    # Bytes decide over names: the PNG named .docx is read (and rejected) as an image.
    assert report["formats"] == {
        "docx": 2, "text": 2, "email": 1, "epub": 1, "image": 1, "odt": 1, "pdf": 1, "pptx": 1, "rtf": 1,
    }
