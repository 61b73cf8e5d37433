"""Full-text search over current versions: SQLite FTS5, PostgreSQL `tsvector` with a GIN index.

The index holds one row per document (its current version, deleted ones absent) and is
rewritten by `storage.versions` in the transaction that writes the version, so a search
never sees text the store does not hold. Runs of CJK characters, which neither engine
splits into words, are indexed and queried as overlapping character bigrams (東京都 →
東京 京都), the same Python code preparing both sides; everything else is left to the
engine's tokenizer.

SQLite keeps the prepared text in a plain FTS5 table rather than a contentless one: a
contentless row can only be deleted by repeating its exact tokens (`contentless_delete`
needs SQLite 3.43), so a changed preparation would silently corrupt the index; the copy
costs disk, not correctness. PostgreSQL indexes each document with the text search
configuration of its language where it has one (`english`, `french`, …) and `simple`
otherwise, and a query is matched under every configuration in use, OR-ed: only those
in use, found by a skip scan of the `config` index, since each one more in the query
costs every ranked row (29 of them made ranking 40 times slower).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from storage.chunks import chunks
from storage.filters import Filters, glob_regex

# What is indexed of a text: PostgreSQL refuses a tsvector over 1 MB, and time and
# memory stay bounded for a hostile 20 MB one-line file.
INDEXED_CHARS = 200_000
SNIPPET_CHARS = 200
# Words of a query that count: a pasted page as a query stays one bounded statement.
MAX_TERMS = 32
MARK = ("«", "»")

CREATE = {
    "sqlite": ["CREATE VIRTUAL TABLE search_index USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"],
    "postgresql": [
        "CREATE TABLE search_index (document_id INTEGER PRIMARY KEY REFERENCES documents (id),"
        " config TEXT NOT NULL, vector tsvector NOT NULL)",
        "CREATE INDEX ix_search_index_vector ON search_index USING gin (vector)",
        "CREATE INDEX ix_search_index_config ON search_index (config)",
    ],
}
DROP = {"sqlite": ["DROP TABLE search_index"], "postgresql": ["DROP TABLE search_index"]}

# ISO 639-1 codes of the languages PostgreSQL ships a stemming configuration for.
CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish", "nl": "dutch",
    "en": "english", "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}
_CJK = re.compile(r"[\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_TERM = re.compile(r"\w+")

Executor = Session | Connection
# The configurations each store's PostgreSQL has, by URL: read once per process.
_known: dict[str, frozenset[str]] = {}


@dataclass(frozen=True)
class Hit:
    key: str
    title: str | None
    language: str
    snippet: str
    score: float


def prepared(value: str | None) -> str:
    """Text as the index sees it: CJK runs as bigrams, cut at `INDEXED_CHARS`."""
    return _CJK.sub(_bigrams, (value or "")[:INDEXED_CHARS])


def _bigrams(run: re.Match[str]) -> str:
    chars = run.group()
    return " " + (" ".join(chars[i : i + 2] for i in range(len(chars) - 1)) if len(chars) > 1 else chars) + " "


def _dialect(executor: Executor) -> str:
    return (executor.get_bind() if isinstance(executor, Session) else executor).dialect.name


def _url(executor: Executor) -> str:
    return str((executor.get_bind() if isinstance(executor, Session) else executor.engine).url)


def _configs(executor: Executor) -> frozenset[str]:
    """The configurations of `CONFIGS` this PostgreSQL has."""
    url = _url(executor)
    if url not in _known:
        found = executor.execute(text("SELECT cfgname FROM pg_ts_config")).scalars()
        _known[url] = frozenset(found) & frozenset(CONFIGS.values())
    return _known[url]


def _in_use(session: Session) -> list[str]:
    """The configurations the index holds documents under, one index probe each."""
    found = session.execute(
        text(
            "WITH RECURSIVE used (config) AS ((SELECT config FROM search_index ORDER BY config LIMIT 1) UNION ALL"
            " SELECT (SELECT s.config FROM search_index s WHERE s.config > used.config ORDER BY s.config LIMIT 1)"
            " FROM used WHERE used.config IS NOT NULL) SELECT config FROM used WHERE config IS NOT NULL"
        )
    )
    return list(found.scalars())


def config_for(executor: Executor, language: str) -> str:
    config = CONFIGS.get(language.split("-")[0].lower())
    return config if config in _configs(executor) else "simple"


def remove(executor: Executor, document_ids: Sequence[int]) -> None:
    column = "rowid" if _dialect(executor) == "sqlite" else "document_id"
    for chunk in chunks(list(document_ids)):
        marks = ", ".join(str(int(i)) for i in chunk)
        executor.execute(text(f"DELETE FROM search_index WHERE {column} IN ({marks})"))


def index(executor: Executor, versions: Iterable[dict[str, Any]]) -> None:
    """Make the index hold these new current versions (deleted ones leave it)."""
    versions = list(versions)
    remove(executor, [v["document_id"] for v in versions])
    rows = [v for v in versions if str(v["status"]) != "deleted"]
    if not rows:
        return
    if _dialect(executor) == "sqlite":
        executor.execute(
            text("INSERT INTO search_index (rowid, title, body) VALUES (:id, :title, :body)"),
            [{"id": v["document_id"], "title": prepared(v["title"]), "body": prepared(v["text"])} for v in rows],
        )
        return
    executor.execute(
        text(
            "INSERT INTO search_index (document_id, config, vector) VALUES (:id, CAST(:config AS TEXT),"
            " setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A')"
            " || setweight(to_tsvector(CAST(:config AS regconfig), :body), 'B'))"
        ),
        [
            {"id": v["document_id"], "config": config_for(executor, v["language"]), "title": prepared(v["title"]),
             "body": prepared(v["text"])}
            for v in rows
        ],
    )


def backfill(connection: Connection, page: int = 1000) -> None:
    """Index every document's current version (the migration that adds the index runs this)."""
    after = 0
    while True:
        rows = connection.execute(
            text(
                "SELECT d.id AS document_id, v.status, v.title, v.text, v.language FROM documents d"
                " JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version"
                " WHERE d.id > :after ORDER BY d.id LIMIT :page"
            ),
            {"after": after, "page": page},
        ).mappings().all()
        if not rows:
            return
        index(connection, [dict(r) for r in rows])
        after = rows[-1]["document_id"]


def terms(query: str) -> list[str]:
    """The query's words (the first `MAX_TERMS`), CJK runs as bigram phrases."""
    return [prepared(term).strip() for term in _TERM.findall(query[:INDEXED_CHARS])[:MAX_TERMS]]


def search(session: Session, query: str, filters: Filters, limit: int) -> list[Hit]:
    """The `limit` best current versions matching every word of `query`, best first."""
    words = terms(query)
    if not words or limit <= 0:
        return []
    conditions, filter_params = _filter_sql(session, filters)
    # Filters read the current version; without any, ranking needs the index alone.
    joined = " JOIN documents d ON d.id = {id} JOIN document_versions v ON v.document_id = d.id" \
        " AND v.version = d.current_version" if conditions else ""
    if _dialect(session) == "sqlite":
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        top = (
            "SELECT search_index.rowid AS document_id, -bm25(search_index, 4.0, 1.0) AS score FROM search_index"
            f"{joined.format(id='search_index.rowid')} WHERE search_index MATCH :match{conditions}"
        )
        params = {"match": match}
    else:
        configs = [config_for(session, filters.language)] if filters.language else _in_use(session) or ["simple"]
        tsquery = " || ".join(f"plainto_tsquery(CAST(:config{n} AS regconfig), :words)" for n in range(len(configs)))
        top = (
            f"SELECT s.document_id, ts_rank_cd(s.vector, q.query) AS score FROM search_index s"
            f" CROSS JOIN (SELECT {tsquery} AS query) AS q{joined.format(id='s.document_id')}"
            f" WHERE s.vector @@ q.query{conditions}"
        )
        params = {"words": " ".join(words), **{f"config{n}": c for n, c in enumerate(configs)}}
    # The page is ranked first, and only its documents' texts are read, for the snippets.
    statement = text(
        f"WITH top AS ({top} ORDER BY score DESC, document_id LIMIT :limit)"
        " SELECT d.key, v.title, v.language, v.text, top.score FROM top JOIN documents d ON d.id = top.document_id"
        " JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version"
        " ORDER BY top.score DESC, d.id"
    )
    rows = session.execute(statement, {**params, **filter_params, "limit": limit})
    return [Hit(r.key, r.title, r.language, snippet(r.text or r.title or "", words), float(r.score)) for r in rows]


def _filter_sql(session: Session, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The shared filters as SQL over `v` (the current version) and `d` (its document)."""
    sql, params = [], {}
    if filters.language is not None:
        sql.append("v.language = :language")
        params["language"] = filters.language
    if filters.status is not None:
        sql.append("v.status = :status")
        params["status"] = str(filters.status)
    sqlite = _dialect(session) == "sqlite"
    if filters.format is not None:
        sql.append("json_extract(v.meta, '$.format') = :format" if sqlite else "v.meta ->> 'format' = :format")
        params["format"] = filters.format
    if filters.key is not None:
        sql.append("d.key GLOB :key" if sqlite else "d.key ~ :key")
        params["key"] = filters.key if sqlite else glob_regex(filters.key)
    return "".join(f" AND {s}" for s in sql), params


def snippet(body: str, words: Sequence[str]) -> str:
    """A window of `body` around the first match, every match in it marked «like this».

    Words match by prefix (the engines may have stemmed `councils` to `council`); a
    bigram phrase matches its characters in a row.
    """
    pieces = []
    for word in words:
        bigrams = word.split(" ")
        literal = re.escape(bigrams[0] + "".join(b[1:] for b in bigrams[1:]))
        pieces.append(literal if _CJK.match(word) else r"\b" + literal)
    pattern = re.compile("|".join(sorted(pieces, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(body)
    start = 0 if first is None else max(0, first.start() - SNIPPET_CHARS // 3)
    if start:
        space = body.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < 20 else start
    window = body[start : start + SNIPPET_CHARS]
    marked = pattern.sub(lambda m: f"{MARK[0]}{m.group()}{MARK[1]}", window)
    marked = " ".join(marked.split())
    return ("…" if start else "") + marked + ("…" if start + SNIPPET_CHARS < len(body) else "")
