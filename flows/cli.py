"""The `seedflow` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any


def _quiet_prefect(verbose: bool) -> None:
    """Keep a successful run's terminal output to the summary.

    Must run before Prefect is imported: its settings are read at import. Logs still
    reach the Prefect API (and the UI); only the console copy is raised to warnings.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def _ingest(args: argparse.Namespace) -> int:
    _quiet_prefect(args.verbose)
    from flows.ingest import ingest
    from flows.report import format_summary

    state = ingest(source=args.source, db=args.db, force=args.force, batch_size=args.batch_size, return_state=True)
    if state.is_failed() or state.is_crashed():
        print(f"seedflow ingest failed: {_reason(state)}", file=sys.stderr)
        return 1
    print(format_summary(state.result()))
    return 0


def _reason(state: Any) -> str:
    try:
        state.result()
    except BaseException as error:  # noqa: BLE001 - the failure is what we report
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return state.message or state.name


def _store_url(args: argparse.Namespace) -> str:
    from flows.settings import Settings

    return Settings.resolve(database_url=args.db).database_url


def _export(args: argparse.Namespace) -> int:
    from storage.access import export_records

    for record in export_records(_store_url(args), all_versions=args.all_versions):
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _show(args: argparse.Namespace) -> int:
    from storage.access import version_of

    record = version_of(_store_url(args), args.key, args.version)
    if record is None:
        wanted = f"version {args.version} of " if args.version else ""
        print(f"seedflow show: no {wanted}{args.key!r} in the store", file=sys.stderr)
        return 1
    print(json.dumps(record, ensure_ascii=False, indent=2))
    return 0


def _history(args: argparse.Namespace) -> int:
    from storage.access import history

    versions = history(_store_url(args), args.key)
    if not versions:
        print(f"seedflow history: no {args.key!r} in the store", file=sys.stderr)
        return 1
    for v in versions:
        detail = v["error"] or v["title"] or (v["text"][:60] + ("…" if len(v["text"]) > 60 else ""))
        print(f"v{v['version']}  {v['ingested_at']}  {v['status']:<8}  {v['language']:<3}  {detail}")
    return 0


def _duplicates(args: argparse.Namespace) -> int:
    from storage.access import near_duplicate_clusters

    for cluster in near_duplicate_clusters(_store_url(args)):
        if args.json:
            members = [{"key": key, "similarity": similarity} for key, similarity in cluster.members]
            sys.stdout.write(json.dumps({"canonical": cluster.canonical, "members": members}, ensure_ascii=False) + "\n")
            continue
        print(cluster.canonical)
        for key, similarity in cluster.members:
            print(f"  {similarity:.3f}  {key}" if similarity is not None else f"  -      {key}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="seedflow", description="Scheduled document ingestion on Prefect.")
    commands = top.add_subparsers(dest="command", required=True)
    db_help = "SQLAlchemy URL of the store (default: $SEEDFLOW_DATABASE_URL, then ./.seedflow/seedflow.db)"

    ingest = commands.add_parser("ingest", help="run the ingest flow once and print a summary")
    ingest.add_argument("--source", help="folder to ingest (default: $SEEDFLOW_SOURCE, then ./seeds)")
    ingest.add_argument("--db", help=db_help)
    ingest.add_argument("--force", action="store_true", help="re-read every file, even unchanged ones")
    ingest.add_argument("--batch-size", type=int, default=250, help="documents per task run (default 250)")
    ingest.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs on the console")
    ingest.set_defaults(handler=_ingest)

    export = commands.add_parser("export", help="write the stored records as JSON Lines to stdout")
    export.add_argument("--db", help=db_help)
    export.add_argument("--all-versions", action="store_true", help="every version, not only the current one")
    export.set_defaults(handler=_export)

    show = commands.add_parser("show", help="print one stored record")
    show.add_argument("key", help="path relative to the source root")
    show.add_argument("--version", type=int, help="which version (default: the current one)")
    show.add_argument("--db", help=db_help)
    show.set_defaults(handler=_show)

    history = commands.add_parser("history", help="list every version of a document")
    history.add_argument("key", help="path relative to the source root")
    history.add_argument("--db", help=db_help)
    history.set_defaults(handler=_history)

    duplicates = commands.add_parser("duplicates", help="list near-duplicate clusters: canonical, members, similarity")
    duplicates.add_argument("--db", help=db_help)
    duplicates.add_argument("--json", action="store_true", help="one JSON object per cluster (JSON Lines)")
    duplicates.set_defaults(handler=_duplicates)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
