"""MinHash signatures and LSH band keys of a document's main text.

Pure and deterministic (fixed seed, no per-process hash randomisation), so a signature
computed by one worker today matches one computed by another worker next month.
Hashing is vectorised with numpy: a signature costs well under a millisecond for a
typical article, so it can run on every document of every batch.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Han and kana have no spaces between words: each character counts as a token there.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


@dataclass(frozen=True)
class SignatureParams:
    """How documents are shingled, signed and banded, and when two count as near copies.

    Defaults chosen with benchmarks/dedup.py: 3-word shingles keep a 10 % word edit at an
    estimated Jaccard of about 0.55–0.75, while texts sharing a third to a half of their
    sentences stay at 0.1–0.35 (2-word shingles lift both, and the negatives' tail
    with them). 40 bands of 3 rows (120 permutations) make a pair at the 0.5 threshold a
    candidate with probability 0.995 (28 × 4 gave 0.84 and lost 10 %-edit copies);
    candidates are then confirmed on their full signatures. Changing `shingle`, `bands`,
    `rows` or `seed` changes every signature: re-index (`seedflow ingest --force`) after.
    """

    shingle: int = 3
    bands: int = 40
    rows: int = 3
    threshold: float = 0.5
    min_words: int = 30
    seed: int = 1

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


DEFAULT = SignatureParams()


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; punctuation, case and compatibility forms do not matter."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


@functools.lru_cache(maxsize=1 << 17)
def _token_hash(token: str) -> int:
    """64-bit hash of a word; cached because word frequencies are skewed (most lookups hit)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


@functools.cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply-shift hash family: odd 64-bit multipliers and 64-bit offsets."""
    generator = np.random.default_rng(seed)
    a = generator.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = generator.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """One 64-bit hash per run of `size` consecutive words (a polynomial over word hashes)."""
    hashed = np.fromiter((_token_hash(w) for w in words), dtype=np.uint64, count=len(words))
    size = min(size, len(hashed))
    count = len(hashed) - size + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined = combined * np.uint64(0x100000001B3) + hashed[offset : offset + count]
    return np.unique(combined)


def signature(text: str, params: SignatureParams = DEFAULT) -> np.ndarray | None:
    """MinHash of the text's word shingles, or None when it is too short to compare."""
    words = tokens(text)
    if len(words) < params.min_words:
        return None
    hashes = shingle_hashes(words, params.shingle)
    a, b = _permutations(params.num_perm, params.seed)
    with np.errstate(over="ignore"):
        permuted = (hashes[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)
    return permuted.min(axis=0).astype(np.uint32)


def to_bytes(values: np.ndarray) -> bytes:
    return values.astype("<u4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit flips about half the output bits."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def bands_of(blobs: Sequence[bytes], params: SignatureParams = DEFAULT) -> list[list[int]]:
    """Band keys of many stored signatures, in one numpy pass (a call per signature costs ~0.1 ms)."""
    if not blobs:
        return []
    return band_matrix(np.stack([from_bytes(b) for b in blobs]), params).tolist()


def band_matrix(signatures: np.ndarray, params: SignatureParams = DEFAULT) -> np.ndarray:
    """Bucket keys of many signatures at once: one row of `bands` int64 keys per signature.

    The band number seeds each key, so equal rows in different bands never share a
    bucket; a rare collision only adds a candidate, which its full signature rejects.
    """
    rows = signatures.astype(np.uint64).reshape(len(signatures), params.bands, params.rows)
    keys = _mix(np.arange(1, params.bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    keys = np.broadcast_to(keys, rows.shape[:2])
    for column in range(params.rows):
        keys = _mix(keys ^ rows[:, :, column])
    return keys.view(np.int64)


def similarity(left: np.ndarray, right: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of permutations whose minima agree."""
    return float(np.count_nonzero(left == right)) / len(left)
