"""Cluster near copies around one canonical document: the pure part of near-dedupe.

A cluster is a canonical document plus members that point at it directly (never at
another member), so `near_duplicate_of` is one hop and stays put when copies arrive.
The index feeds in what it knows (`Entry` per indexed document); everything here is
plain computation so that it can be tested without a database and rerun by the store
stage under the index lock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from storage.near_index import Entry, Rank
from storage.record import Document
from tasks.near_duplicates import signatures
from tasks.near_duplicates.signatures import SignatureParams


def _similarity(left: bytes, right: bytes) -> float:
    return signatures.similarity(signatures.from_bytes(left), signatures.from_bytes(right))


class BucketIndex:
    """Which entries fall in which LSH bucket, built in one vectorised pass.

    Band keys are recomputed from the signatures (one numpy call for all entries) and
    kept sorted, so looking up a document's buckets is a few binary searches.
    """

    def __init__(self, entries: Mapping[str, Entry], params: SignatureParams = signatures.DEFAULT) -> None:
        self._keys = list(entries)
        if not self._keys:
            self._sorted = np.empty(0, dtype=np.int64)
            self._owners = np.empty(0, dtype=np.int64)
            return
        stacked = np.stack([signatures.from_bytes(entries[k].signature) for k in self._keys])
        flat = signatures.band_matrix(stacked, params).ravel()
        order = np.argsort(flat, kind="stable")
        self._sorted = flat[order]
        self._owners = np.repeat(np.arange(len(self._keys)), params.bands)[order]

    def sharing(self, buckets: Sequence[int]) -> set[str]:
        """Keys of the entries that share at least one of `buckets`."""
        wanted = np.asarray(buckets, dtype=np.int64)
        lows = np.searchsorted(self._sorted, wanted, side="left")
        highs = np.searchsorted(self._sorted, wanted, side="right")
        return {self._keys[i] for low, high in zip(lows, highs) if high > low for i in self._owners[low:high]}


def link(
    documents: Sequence[Document],
    entries: Mapping[str, Entry],
    ranks: Mapping[str, Rank],
    params: SignatureParams = signatures.DEFAULT,
) -> Counter[str]:
    """Set `near_duplicate_of`/`similarity` on each document, in order.

    `entries` holds the stored candidates and their canonicals, `ranks` the first-seen
    order of the batch's own documents.
    A document matches a candidate when their estimated Jaccard reaches the threshold;
    it then links to the earliest canonical among its matches (never to itself), and
    later documents of the batch see it as a candidate too. Stored entries of the
    batch's own documents describe their old text, so they are not candidates.

    A document read again with the signature it was stored with keeps its stored link
    while that canonical still heads its cluster: compared anew, it would also meet the
    copies that arrived after it and could change sides, so a forced re-ingest of
    unchanged files would rewrite links (and versions) that nothing justified changing.
    """
    evaluated = {d.key for d in documents}
    known = {key: entry for key, entry in entries.items() if key not in evaluated}
    stored_buckets = BucketIndex(known, params)
    leaving = _cannot_head(documents)
    stored = {key: entry for key, entry in entries.items() if key not in leaving}
    local: defaultdict[int, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    signed = {d.key: d.signature for d in documents if d.signature is not None and not d.duplicate_of}
    bands = dict(zip(signed, signatures.bands_of(list(signed.values()), params)))
    for index, doc in enumerate(documents):
        doc.near_duplicate_of, doc.similarity = None, None
        if doc.signature is None:
            counts["unsigned"] += 1
            continue
        if doc.duplicate_of:
            continue
        keys = bands[doc.key]
        canonicals: dict[str, Entry] = {}
        kept = _kept(doc, entries.get(doc.key), known, stored)
        if kept is not None:
            canonicals = {kept.key: kept} if kept.key != doc.key else {}
        else:
            for key in stored_buckets.sharing(keys) | {k for b in keys for k in local.get(b, ())}:
                entry = known.get(key)
                if entry is None or _similarity(doc.signature, entry.signature) < params.threshold:
                    continue
                canonical = _canonical(entry, known, stored)
                if canonical is not None and canonical.key != doc.key:
                    canonicals[canonical.key] = canonical
        if canonicals:
            chosen = min(canonicals.values(), key=lambda e: (e.rank, e.key))
            doc.near_duplicate_of = chosen.key
            doc.similarity = _similarity(doc.signature, chosen.signature)
            counts["near_duplicate"] += 1
        else:
            counts["distinct"] += 1
        known[doc.key] = Entry(doc.key, ranks.get(doc.key, (float("inf"), index)), doc.signature, doc.near_duplicate_of)
        for b in keys:
            local[b].append(doc.key)
    return counts


def _kept(doc: Document, previous: Entry | None, known: Mapping[str, Entry], stored: Mapping[str, Entry]) -> Entry | None:
    """The canonical an unchanged document keeps (itself if it heads a cluster); None: link it anew."""
    if previous is None or previous.signature != doc.signature:
        return None
    if previous.canonical is None:
        return previous
    return _canonical(previous, known, stored)


def _cannot_head(documents: Sequence[Document]) -> set[str]:
    """Keys of the batch that will not be indexed, so cannot stay anyone's canonical."""
    return {d.key for d in documents if d.signature is None or d.duplicate_of}


def _canonical(entry: Entry, known: Mapping[str, Entry], stored: Mapping[str, Entry]) -> Entry | None:
    """The canonical a match leads to, one hop; None when the store did not report it.

    If that canonical was itself re-evaluated in this batch and now points elsewhere,
    follow it there so that no link ever lands on a member.
    """
    if entry.canonical is None:
        return entry
    head = known.get(entry.canonical) or stored.get(entry.canonical)
    if head is not None and head.canonical is not None:
        head = known.get(head.canonical) or stored.get(head.canonical)
    return head


def recluster(members: Sequence[Entry], threshold: float) -> dict[str, tuple[str | None, float | None]]:
    """New links for the members of a cluster that lost its canonical.

    The earliest member becomes canonical; each later one joins the earliest new
    canonical it is still similar enough to, or starts a cluster of its own (members
    were only ever compared with the old canonical, not with each other).
    """
    heads: list[Entry] = []
    links: dict[str, tuple[str | None, float | None]] = {}
    for member in sorted(members, key=lambda m: (m.rank, m.key)):
        for head in heads:
            score = _similarity(member.signature, head.signature)
            if score >= threshold:
                links[member.key] = (head.key, score)
                break
        else:
            heads.append(member)
            links[member.key] = (None, None)
    return links


def rehome(members: Sequence[Entry], head: Entry | None, threshold: float) -> dict[str, tuple[str | None, float | None]]:
    """New links for a cluster's members after its canonical changed (`head`) or left (None).

    Members still similar enough to the changed canonical stay, with their new score;
    the others, or all of them when it left, are reclustered among themselves.
    """
    links: dict[str, tuple[str | None, float | None]] = {}
    stray = []
    for member in members:
        score = _similarity(member.signature, head.signature) if head else 0.0
        if head and score >= threshold:
            links[member.key] = (head.key, score)
        else:
            stray.append(member)
    links.update(recluster(stray, threshold))
    return links
