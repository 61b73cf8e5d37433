"""The one place that reads what dedupe decides against: first copies, candidates, ranks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from storage import near_index, reads
from storage.near_index import Entry, Rank
from storage.record import Document
from tasks.near_duplicates import signatures


@dataclass(frozen=True)
class Known:
    """What the store holds that a batch's documents may be copies of.

    `first_seen` maps a content hash to the earliest active key that has it; `entries`
    are the indexed documents sharing a band with the batch, with their canonicals;
    `ranks` the first-seen order of the batch's documents that were stored before.
    """

    first_seen: Mapping[str, str] = field(default_factory=dict)
    entries: Mapping[str, Entry] = field(default_factory=dict)
    ranks: Mapping[str, Rank] = field(default_factory=dict)


def known_for(session: Session, documents: Sequence[Document]) -> Known:
    """Read everything the documents are compared with: three indexed queries."""
    signed = [d.signature for d in documents if d.signature is not None]
    buckets = [b for keys in signatures.bands_of(signed) for b in keys]
    return Known(
        first_seen=reads.first_keys_by_hash(session, [d.content_hash for d in documents if d.content_hash]),
        entries=near_index.candidates(session, buckets),
        ranks=near_index.ranks(session, [d.key for d in documents]),
    )
