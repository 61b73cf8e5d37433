"""Generate a deterministic benchmark corpus from the shared material.

    python benchmarks/corpus.py N DIR [--seed S]

Writes N files below DIR (two folder levels, at most 250 files per folder):

* ~20% HTML pages: real pages from ``../shared/corpus/html/pages``, each with a short
  ASCII paragraph inserted after ``<body>`` so that every copy has its own text;
* ~70% news-like text articles: 5 or more consecutive sentences of ONE language from
  ``../shared/corpus/lang/sentences/<code>.txt`` (about 2–8 KB), in paragraphs, half of them
  with a ``date YYYY-MM-DD`` header line;
* ~5% exact duplicates (byte copies of an earlier file, under another name);
* ~5% near duplicates (an earlier text article with a few words changed).

The same N and seed always give the same bytes. A summary is printed and also kept in
``DIR/.corpus.json`` (hidden, so the pipeline does not ingest it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MAX_DOCS = 100_000
PER_FOLDER = 250
FOLDERS_PER_TOP = 20
SHARES = {"html": 0.20, "duplicate": 0.05, "near-duplicate": 0.05}  # the rest is text
# Languages a news feed sees most get more articles; every other one still appears.
MAJOR = ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "zh", "ja", "ar", "tr", "sv")
_BODY = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def shared_corpus() -> Path:
    corpus = SHARED / "corpus"
    if not (corpus / "html" / "pages").is_dir() or not (corpus / "lang" / "sentences").is_dir():
        sys.exit(
            f"benchmarks/corpus.py: the shared corpus is missing: expected {corpus}/html/pages and "
            f"{corpus}/lang/sentences (the ../shared folder beside the checkout)"
        )
    return corpus


def relative_path(index: int, suffix: str) -> str:
    """Two folder levels, PER_FOLDER files per leaf folder."""
    leaf = index // PER_FOLDER
    return f"d{leaf // FOLDERS_PER_TOP:03d}/s{leaf % FOLDERS_PER_TOP:02d}/doc{index:06d}{suffix}"


class Generator:
    def __init__(self, corpus: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pages = [p.read_bytes() for p in sorted((corpus / "html" / "pages").glob("*.html"))]
        self.sentences: dict[str, list[str]] = {}
        for path in sorted((corpus / "lang" / "sentences").glob("*.txt")):
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            if len(lines) >= 20:
                self.sentences[path.stem] = lines
        self.codes = sorted(self.sentences)
        self.major = [c for c in MAJOR if c in self.sentences]
        self.articles: list[tuple[int, str]] = []  # (index, language) of text articles, for near duplicates

    def language(self) -> str:
        return self.rng.choice(self.major) if self.rng.random() < 0.6 and self.major else self.rng.choice(self.codes)

    def article(self, code: str) -> str:
        rng, lines = self.rng, self.sentences[code]
        target = rng.randint(2000, 8000)
        start = rng.randrange(len(lines))
        picked: list[str] = []
        size = 0
        while len(picked) < 5 or (size < target and len(picked) < min(64, len(lines))):
            sentence = lines[(start + len(picked)) % len(lines)]
            picked.append(sentence)
            size += len(sentence.encode("utf-8")) + 1
        paragraphs: list[str] = []
        while picked:
            take = rng.randint(2, 5)
            paragraphs.append(" ".join(picked[:take]))
            del picked[:take]
        body = "\n\n".join(paragraphs) + "\n"
        if rng.random() < 0.5:
            day = f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            body = f"date {day}\n{body}"
        return body

    def html(self, index: int) -> bytes:
        page = self.rng.choice(self.pages)
        note = f'<p class="archive-ref">Archive reference {index:06d}-{self.rng.getrandbits(40):010x}.</p>'.encode()
        match = _BODY.search(page)
        cut = match.end() if match else 0
        return page[:cut] + note + page[cut:]

    def near_duplicate(self, text: str, code: str) -> str:
        """The same article with 2–5 words replaced by words of the same language."""
        words = text.split(" ")
        if len(words) < 20:  # scripts without spaces: change a few characters instead
            chars = list(text)
            for _ in range(self.rng.randint(2, 5)):
                position = self.rng.randrange(len(chars))
                if chars[position].isalpha():
                    chars[position] = self.rng.choice(self.rng.choice(self.sentences[code]))
            return "".join(chars)
        donors = self.rng.choice(self.sentences[code]).split(" ")
        for _ in range(self.rng.randint(2, 5)):
            position = self.rng.randrange(1, len(words))  # keep a `date` header intact
            if "\n" not in words[position]:
                words[position] = self.rng.choice(donors)
        return " ".join(words)


def generate(count: int, folder: Path, seed: int = 8) -> dict[str, object]:
    if not 1 <= count <= MAX_DOCS:
        raise SystemExit(f"benchmarks/corpus.py: N must be between 1 and {MAX_DOCS}, not {count}")
    corpus = shared_corpus()
    began = time.perf_counter()
    gen = Generator(corpus, seed)
    rng = gen.rng
    folder.mkdir(parents=True, exist_ok=True)
    kinds: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    written: list[str] = []  # relative path of every file, by index
    text_of: dict[int, str] = {}  # text articles kept for near duplicates (bounded sample)
    made_dirs: set[str] = set()
    total_bytes = 0
    for index in range(count):
        roll = rng.random()
        kind = "text"
        if index >= 20 and roll < SHARES["duplicate"]:
            kind = "duplicate"
        elif index >= 20 and roll < SHARES["duplicate"] + SHARES["near-duplicate"] and gen.articles:
            kind = "near-duplicate"
        elif roll < SHARES["duplicate"] + SHARES["near-duplicate"] + SHARES["html"]:
            kind = "html"
        if kind == "duplicate":
            original = written[rng.randrange(len(written))]
            data = (folder / original).read_bytes()
            suffix = os.path.splitext(original)[1]
        elif kind == "near-duplicate":
            source_index, code = gen.articles[rng.randrange(len(gen.articles))]
            data = gen.near_duplicate(text_of[source_index], code).encode("utf-8")
            suffix = ".txt"
            languages[code] += 1
        elif kind == "html":
            data = gen.html(index)
            suffix = ".html"
        else:
            code = gen.language()
            text = gen.article(code)
            data = text.encode("utf-8")
            suffix = ".txt"
            languages[code] += 1
            # Keep a bounded pool of originals for near duplicates (memory stays flat at 100k).
            if len(gen.articles) < 2000:
                gen.articles.append((index, code))
                text_of[index] = text
            elif rng.random() < 0.05:
                slot = rng.randrange(len(gen.articles))
                del text_of[gen.articles[slot][0]]
                gen.articles[slot] = (index, code)
                text_of[index] = text
        relative = relative_path(index, suffix)
        parent = relative.rsplit("/", 1)[0]
        if parent not in made_dirs:
            (folder / parent).mkdir(parents=True, exist_ok=True)
            made_dirs.add(parent)
        with open(folder / relative, "wb") as handle:
            handle.write(data)
        written.append(relative)
        kinds[kind] += 1
        total_bytes += len(data)
    summary: dict[str, object] = {
        "documents": count,
        "seed": seed,
        "kinds": dict(sorted(kinds.items())),
        "bytes": total_bytes,
        "folders": len(made_dirs),
        "text_languages": len(languages),
        "seconds": round(time.perf_counter() - began, 2),
    }
    (folder / ".corpus.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def describe(summary: dict[str, object], folder: Path) -> str:
    kinds = summary["kinds"]
    assert isinstance(kinds, dict)
    parts = ", ".join(f"{kinds.get(k, 0)} {k}" for k in ("text", "html", "duplicate", "near-duplicate"))
    size = int(summary["bytes"]) / 1e6  # type: ignore[call-overload]
    return (
        f"corpus: {summary['documents']} files in {folder} ({parts}); {size:.1f} MB in "
        f"{summary['folders']} folders, {summary['text_languages']} languages, {summary['seconds']} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, metavar="N", help=f"number of files (1–{MAX_DOCS})")
    parser.add_argument("folder", type=Path, metavar="DIR", help="where to write them (created if needed)")
    parser.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
    args = parser.parse_args(argv)
    if args.folder.exists() and any(p for p in args.folder.iterdir() if p.name != ".corpus.json"):
        parser.error(f"{args.folder} is not empty; give a new folder")
    print(describe(generate(args.count, args.folder, args.seed), args.folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
