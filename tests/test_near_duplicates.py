"""Near-duplicate detection: signatures and linking as pure functions, then through the real flow and stores."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main
from flows.ingest import ingest
from storage import migrate, runs
from storage.access import export_records, history, version_of
from tasks.near_duplicates import signatures
from tasks.dedupe import dedupe, sign
from storage.record import Document
from tasks.batch import Batch
from storage.near_index import Entry
from tasks.near_duplicates.clustering import link, recluster, rehome
from tasks.store import store

VOCABULARY = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "po", "ra", "se", "ti", "vu", "ze") for b in range(60)]


def article(seed: int, sentences: int = 30) -> list[str]:
    """A deterministic text of 8–14-word sentences, different for every seed."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(8, 14))).capitalize() + "." for _ in range(sentences)]


def text(sentences: list[str]) -> str:
    return "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5))


def edited(sentences: list[str], rate: float, seed: int) -> str:
    """The text with `rate` of its words substituted, inserted or deleted."""
    return edit(text(sentences), rate, seed)


def edit(body: str, rate: float, seed: int) -> str:
    rng = random.Random(seed)
    words = body.split(" ")
    for _ in range(round(rate * len(words))):
        position = rng.randrange(len(words))
        operation = rng.choice(("substitute", "insert", "delete"))
        if operation == "substitute":
            words[position] = rng.choice(VOCABULARY)
        elif operation == "insert":
            words.insert(position, rng.choice(VOCABULARY))
        else:
            del words[position]
    return " ".join(words)


def same_topic(sentences: list[str], share: float, seed: int) -> str:
    """Another article that keeps `share` of the sentences."""
    rng = random.Random(seed)
    other = article(seed + 1000, len(sentences))
    kept = set(rng.sample(range(len(sentences)), round(share * len(sentences))))
    return text([s if i in kept else other[i] for i, s in enumerate(sentences)])


def documents(**texts: str) -> list[Document]:
    return [Document(key=key, path=key, text=body, content_hash=key) for key, body in texts.items()]


def linked(docs: list[Document]) -> dict[str, tuple[str | None, float | None]]:
    batch = Batch(docs)
    sign(batch)
    link(docs, {}, {})
    return {d.key: (d.near_duplicate_of, d.similarity) for d in docs}


# --- pure functions ---------------------------------------------------------


def test_signatures_are_deterministic_and_ignore_case_and_punctuation() -> None:
    words = article(1)
    plain = signatures.signature(text(words))
    shouted = signatures.signature(text(words).upper().replace(".", " !").replace(" ", "  ,"))
    assert plain is not None and shouted is not None
    assert signatures.similarity(plain, shouted) == 1.0
    assert signatures.to_bytes(plain) == signatures.to_bytes(signatures.signature(text(words)))
    assert len(signatures.band_matrix(plain[None, :])[0]) == signatures.DEFAULT.bands


def test_short_texts_get_no_signature() -> None:
    assert signatures.signature("only a handful of words here") is None
    assert signatures.signature(" ".join(VOCABULARY[:30])) is not None


@pytest.mark.parametrize(
    ("kind", "make", "is_copy"),
    [
        ("1% edits", lambda s: edited(s, 0.01, 1), True),
        ("5% edits", lambda s: edited(s, 0.05, 2), True),
        ("10% edits", lambda s: edited(s, 0.10, 3), True),
        ("paragraphs reordered", lambda s: text(s[15:] + s[:15]), True),
        ("re-wrapped", lambda s: "\n".join(" ".join(s[i : i + 2]) for i in range(0, len(s), 2)), True),
        ("inside boilerplate", lambda s: "Home | News | Sport\n\n" + text(s) + "\n\n© 2025 Example. All rights reserved.", True),
        ("different article", lambda s: text(article(99)), False),
        ("same topic, 40% shared", lambda s: same_topic(s, 0.4, 4), False),
        ("long shared quote", lambda s: text(article(98)[:22] + s[5:13]), False),
    ],
)
def test_labelled_cases(kind: str, make: Any, is_copy: bool) -> None:
    original = article(7)
    links = linked(documents(original=text(original), candidate=make(original)))
    near, similarity = links["candidate"]
    assert links["original"] == (None, None)
    if is_copy:
        assert near == "original", kind
        assert similarity is not None and similarity >= signatures.DEFAULT.threshold
    else:
        assert near is None, kind


def test_a_copy_links_to_the_canonical_not_to_the_copy_it_matches() -> None:
    words = article(11)
    first, second = edited(words, 0.05, 1), edited(words, 0.05, 2)
    drifted = edit(first, 0.05, 3)
    links = linked(documents(a=text(words), b=first, c=second, d=drifted))
    assert {k: v[0] for k, v in links.items()} == {"a": None, "b": "a", "c": "a", "d": "a"}
    a, d = (signatures.signature(t) for t in (text(words), drifted))
    assert links["d"][1] == signatures.similarity(a, d)

    stored = {"a": Entry("a", (1.0, 1), signatures.to_bytes(signatures.signature(text(words))))}
    stored["b"] = Entry("b", (2.0, 2), signatures.to_bytes(signatures.signature(first)), canonical="a")
    late = documents(e=edited(words, 0.02, 5))
    sign(Batch(late))
    link(late, stored, {})
    assert late[0].near_duplicate_of == "a"


def test_exact_copies_keep_only_their_exact_link() -> None:
    words = article(12)
    docs = documents(a=text(words), b=text(words))
    docs[1].duplicate_of = "a"
    assert linked(docs)["b"] == (None, None)


def test_recluster_promotes_the_earliest_member() -> None:
    words = article(13)
    sig = {k: signatures.to_bytes(signatures.signature(edited(words, 0.03, n))) for n, k in enumerate("xyz")}
    stranger = signatures.to_bytes(signatures.signature(text(article(14))))
    members = [Entry("z", (3.0, 3), sig["z"]), Entry("x", (1.0, 1), sig["x"]), Entry("y", (2.0, 2), sig["y"]),
               Entry("w", (4.0, 4), stranger)]
    links = recluster(members, signatures.DEFAULT.threshold)
    assert links["x"] == (None, None) and links["w"] == (None, None)
    assert links["y"][0] == "x" and links["z"][0] == "x"


def test_rehome_keeps_members_still_close_to_a_changed_canonical() -> None:
    words, other = article(15), article(16)
    sig = lambda body: signatures.to_bytes(signatures.signature(body))  # noqa: E731
    near, far_1, far_2 = (Entry("near", (2.0, 2), sig(edited(words, 0.03, 1))),
                          Entry("far-1", (3.0, 3), sig(edited(other, 0.03, 2))),
                          Entry("far-2", (4.0, 4), sig(edited(other, 0.03, 3))))
    head = Entry("head", (1.0, 1), sig(edited(words, 0.02, 4)))
    links = rehome([far_2, near, far_1], head, signatures.DEFAULT.threshold)
    assert links["near"][0] == "head" and links["near"][1] >= signatures.DEFAULT.threshold
    assert links["far-1"] == (None, None) and links["far-2"][0] == "far-1"


# --- through the flow and the stores ----------------------------------------


def run(source: Path, db_url: str) -> dict[str, Any]:
    return ingest(source=str(source), db=db_url, retry_delay_seconds=0)


def test_copies_arriving_later_link_to_the_first_original(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    words = article(21)
    (folder / "original.txt").write_text(text(words), encoding="utf-8")
    (folder / "other.txt").write_text(text(article(22)), encoding="utf-8")
    run(folder, db_url)

    (folder / "copy-1.txt").write_text(edited(words, 0.05, 1), encoding="utf-8")
    report = run(folder, db_url)
    assert report["outcomes"]["near_duplicate"] == 1
    first = version_of(db_url, "copy-1.txt")
    assert first["near_duplicate_of"] == "original.txt" and first["similarity"] >= 0.5

    (folder / "copy-2.txt").write_text(edited(words, 0.08, 2), encoding="utf-8")
    (folder / "a-copy.txt").write_text(edited(words, 0.02, 3), encoding="utf-8")
    run(folder, db_url)
    records = {r["key"]: r for r in export_records(db_url)}
    assert {k: r["near_duplicate_of"] for k, r in records.items()} == {
        "original.txt": None, "other.txt": None, "copy-1.txt": "original.txt",
        "copy-2.txt": "original.txt", "a-copy.txt": "original.txt",
    }
    assert [v["version"] for v in history(db_url, "original.txt")] == [1]
    assert [v["version"] for v in history(db_url, "copy-1.txt")] == [1]

    (folder / "copy-1.txt").write_text(text(article(23)), encoding="utf-8")
    run(folder, db_url)
    assert version_of(db_url, "copy-1.txt")["near_duplicate_of"] is None


def test_deleting_the_canonical_promotes_the_next_earliest(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    words = article(31)
    (folder / "original.txt").write_text(text(words), encoding="utf-8")
    run(folder, db_url)
    (folder / "second.txt").write_text(edited(words, 0.03, 1), encoding="utf-8")
    run(folder, db_url)
    (folder / "third.txt").write_text(edited(words, 0.03, 2), encoding="utf-8")
    run(folder, db_url)

    (folder / "original.txt").unlink()
    report = run(folder, db_url)
    assert report["outcomes"]["deleted"] == 1
    second, third = history(db_url, "second.txt"), history(db_url, "third.txt")
    assert [(v["version"], v["near_duplicate_of"]) for v in second] == [(1, "original.txt"), (2, None)]
    assert [(v["version"], v["near_duplicate_of"]) for v in third] == [(1, "original.txt"), (2, "second.txt")]
    assert third[-1]["similarity"] >= 0.5 and third[-1]["text"] == third[0]["text"]

    assert run(folder, db_url)["outcomes"]["unchanged"] == 2
    assert main(["duplicates", "--db", db_url, "--json"]) == 0
    out = capsys.readouterr().out
    assert '"canonical": "second.txt"' in out and '"key": "third.txt"' in out


def test_concurrent_batches_agree_on_one_cluster(db_url: str) -> None:
    migrate.upgrade(db_url)
    run_id = runs.begin(db_url, None, "concurrency test")
    first, second = article(41), article(42)
    batches = [
        Batch(documents(**{"w1/a.txt": edited(first, 0.02, 1), "w1/b.txt": edited(second, 0.02, 1)})),
        Batch(documents(**{"w2/a.txt": edited(first, 0.02, 2), "w2/b.txt": edited(second, 0.02, 2)})),
    ]
    both_deduped = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(batch: Batch) -> None:
        try:
            dedupe(batch, db_url)
            both_deduped.wait(timeout=30)
            store(batch, db_url, run_id, None)
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    links = {r["key"]: r["near_duplicate_of"] for r in export_records(db_url)}
    for name in ("a.txt", "b.txt"):
        pair = {f"w1/{name}", f"w2/{name}"}
        heads = [k for k in pair if links[k] is None]
        assert len(heads) == 1, links
        assert links[(pair - set(heads)).pop()] == heads[0]


def test_identical_texts_stored_at_once_by_two_runs_end_as_one_exact_copy(db_url: str) -> None:
    """Both runs dedupe before either stores, so neither sees the other's copy until the
    store stage, which must look the exact copy up again under the index lock."""
    migrate.upgrade(db_url)
    run_id = runs.begin(db_url, None, "exact race")
    for attempt in range(5):
        body = text(article(900 + attempt))
        same = {"hash": f"race-{attempt}"}
        batches = [Batch([Document(key=f"{side}/{attempt}.txt", path="", text=body, content_hash=same["hash"])])
                   for side in ("left", "right")]
        both_deduped = threading.Barrier(2)
        errors: list[BaseException] = []

        def worker(batch: Batch) -> None:
            try:
                dedupe(batch, db_url)
                both_deduped.wait(timeout=30)
                store(batch, db_url, run_id, None)
            except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        records = {r["key"]: r for r in export_records(db_url) if r["key"].endswith(f"/{attempt}.txt")}
        originals = [k for k, r in records.items() if r["duplicate_of"] is None]
        assert len(originals) == 1, records
        copy = (records.keys() - set(originals)).pop()
        assert records[copy]["duplicate_of"] == originals[0] and records[copy]["near_duplicate_of"] is None


def test_the_store_links_again_only_when_the_index_moved_on_since_dedupe(db_url: str) -> None:
    migrate.upgrade(db_url)
    run_id = runs.begin(db_url, None, "generation test")
    words = article(61)
    late = Batch(documents(**{"late.txt": edited(words, 0.03, 1)}))
    dedupe(late, db_url)
    assert late.documents[0].near_duplicate_of is None

    early = Batch(documents(**{"early.txt": text(words)}))
    dedupe(early, db_url)
    assert early.linked_at == late.linked_at
    store(early, db_url, run_id, None)

    store(late, db_url, run_id, None)
    assert late.documents[0].near_duplicate_of == "early.txt"
    copy = Batch(documents(**{"copy.txt": edited(words, 0.03, 2)}))
    dedupe(copy, db_url)
    assert copy.linked_at == late.linked_at + 2 and copy.documents[0].near_duplicate_of == "early.txt"
    store(copy, db_url, run_id, None)
    links = {r["key"]: r["near_duplicate_of"] for r in export_records(db_url)}
    assert links == {"early.txt": None, "late.txt": "early.txt", "copy.txt": "early.txt"}


def test_a_changed_canonical_rescores_or_hands_over_its_cluster(tmp_path: Path, sqlite_url: str) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    words = article(51)
    (folder / "original.txt").write_text(text(words), encoding="utf-8")
    run(folder, sqlite_url)
    (folder / "second.txt").write_text(edited(words, 0.03, 1), encoding="utf-8")
    run(folder, sqlite_url)
    (folder / "third.txt").write_text(edited(words, 0.03, 2), encoding="utf-8")
    run(folder, sqlite_url)
    before = version_of(sqlite_url, "third.txt")

    (folder / "original.txt").write_text(edited(words, 0.04, 3), encoding="utf-8")
    run(folder, sqlite_url)
    after = version_of(sqlite_url, "third.txt")
    assert after["near_duplicate_of"] == "original.txt"
    assert after["similarity"] != before["similarity"] and after["version"] == 2

    (folder / "original.txt").write_text(text(article(52)), encoding="utf-8")
    run(folder, sqlite_url)
    links = {r["key"]: r["near_duplicate_of"] for r in export_records(sqlite_url)}
    assert links == {"original.txt": None, "second.txt": None, "third.txt": "second.txt"}


def test_a_chain_of_copies_is_one_cluster_in_any_batch_size_and_a_forced_reingest_keeps_it(
    tmp_path: Path, db_url: str
) -> None:
    """c matches only b, and b matches a: c joins a's cluster through b, and nothing moves it."""
    folder = tmp_path / "docs"
    folder.mkdir()
    a = text(article(41))
    b = edit(a, 0.12, 42)
    c = edit(b, 0.12, 43)
    similarity = {pair: signatures.similarity(*(signatures.signature(t) for t in pair)) for pair in ((a, b), (b, c), (a, c))}
    threshold = signatures.DEFAULT.threshold
    assert similarity[a, b] >= threshold and similarity[b, c] >= threshold > similarity[a, c]
    for key, body in {"a.txt": a, "b.txt": b, "c.txt": c, "other.txt": text(article(44))}.items():
        (folder / key).write_text(body, encoding="utf-8")

    # One batch, where the canonical and both copies are stored together.
    ingest(source=str(folder), db=db_url, batch_size=10, retry_delay_seconds=0)
    expected = {"a.txt": None, "b.txt": "a.txt", "c.txt": "a.txt", "other.txt": None}
    assert {r["key"]: r["near_duplicate_of"] for r in export_records(db_url)} == expected
    one_batch = {r["key"]: r for r in export_records(db_url)}

    report = ingest(source=str(folder), db=db_url, force=True, batch_size=1, retry_delay_seconds=0)
    assert report["outcomes"]["unchanged"] == 4 and not report["outcomes"].get("near_duplicate_relinked")
    assert {r["key"]: r for r in export_records(db_url, all_versions=True)} == one_batch
