"""The `seedflow` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any


def _prefect_defaults(verbose: bool) -> None:
    """Keep a successful run's terminal output to the summary, and a busy machine from failing it.

    Must run before Prefect is imported: its settings are read at import. Logs still
    reach the Prefect API (and the UI); only the console copy is raised to warnings.
    Prefect gives its temporary API 20 s to start, which a loaded machine (a test suite,
    a package install beside it) can exceed; a one-off ingest should wait, not fail.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def _ingest(args: argparse.Namespace) -> int:
    _prefect_defaults(args.verbose)
    from flows.ingest import ingest

    parameters = {
        "force": args.force, "batch_size": args.batch_size, "workers": args.workers, "dask_address": args.dask_address,
        "extensions": args.extensions, "max_bytes": args.max_bytes,
    }
    return _run_locally(ingest, args, parameters, "ingest")


def _run_locally(flow: Any, args: argparse.Namespace, parameters: dict[str, Any], command: str) -> int:
    from prefect import tags

    from flows.report import format_summary

    with tags("manual"):
        state = flow(source=args.source, db=args.db, **parameters, return_state=True)
    if state.is_failed() or state.is_crashed():
        print(f"seedflow {command} failed: {_reason(state)}", file=sys.stderr)
        return 1
    print(format_summary(state.result()))
    return 0


def _reingest(args: argparse.Namespace) -> int:
    """Trigger the `reingest` deployment on a running server, else run the flow here."""
    _prefect_defaults(args.verbose)
    from flows import server

    parameters: dict[str, Any] = {"force": args.force, "paths": args.path or None, "since": args.since}
    if server.reachable(server.api_url()):
        from prefect.deployments import run_deployment

        overrides = {k: v for k, v in {"source": args.source, "db": args.db}.items() if v}
        run = run_deployment("ingest/reingest", parameters={**parameters, **overrides}, timeout=0)
        print(f"seedflow reingest: started {run.name}\n  {server.flow_run_page(str(run.id))}")
        return 0
    from flows.ingest import ingest

    return _run_locally(ingest, args, parameters, "reingest")


def _serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    _prefect_defaults(verbose=True)
    import httpx

    from deployments.definitions import Schedule
    from deployments.serve import serve
    from flows import server
    from flows.settings import Settings

    url = server.api_url()
    if not server.reachable(url):
        print(
            "seedflow serve needs a running Prefect server: start one with `make server`, then "
            "export PREFECT_API_URL=http://127.0.0.1:4200/api",
            file=sys.stderr,
        )
        return 1
    schedule = Schedule.from_environment()
    if args.interval:
        schedule = Schedule(interval_seconds=args.interval)
    if args.cron:
        schedule = Schedule(cron=args.cron)
    settings = Settings.resolve(args.source, args.db)
    print(f"seedflow serve: watching {settings.source}, deployments ingest/ingest, ingest/watch, ingest/reingest on {url}")
    try:
        serve(settings, schedule)
    except httpx.TransportError as error:
        # The server went away first (stopped before `serve`, or the network): the runner's
        # last call fails, and a traceback would only bury what happened.
        print(f"seedflow serve: stopped, the Prefect server at {url} is unreachable ({error})", file=sys.stderr)
        return 1
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


def _database(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.session import display_url

    url = _store_url(args)
    if args.action == "upgrade":
        before = migrate.current(url)
        migrate.upgrade(url)
        print(f"{display_url(url)}: {before or 'empty'} -> {migrate.current(url)}")
    else:
        current, head = migrate.current(url), migrate.head()
        print(f"{display_url(url)}: {current or 'empty'} (head {head}{', up to date' if current == head else ''})")
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
    ingest.add_argument("--workers", type=int, default=1, help="processes for the CPU-bound stages (default 1)")
    ingest.add_argument("--dask-address", help="run the CPU-bound stages on this Dask scheduler (tcp://HOST:PORT)")
    ingest.add_argument(
        "--extension", dest="extensions", action="append",
        help="ingest files with this extension (repeatable; '' for none; default: every document format's, "
             "none, and containers: .warc .zip .tar .tgz .gz .bz2 .xz .zst .jsonl .ndjson .json .parquet)",
    )
    ingest.add_argument("--max-bytes", type=int, default=20 * 1024 * 1024, help="reject larger files unread (default 20 MB)")
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

    reingest = commands.add_parser("reingest", help="re-ingest by hand (through the server when one is running)")
    reingest.add_argument("--path", action="append", help="only keys matching this glob (repeatable)")
    reingest.add_argument("--since", type=date.fromisoformat, help="only files modified after this date (YYYY-MM-DD)")
    reingest.add_argument("--force", action="store_true", help="re-read the selected files even if unchanged")
    reingest.add_argument("--source", help="folder to ingest (default: the deployment's, or $SEEDFLOW_SOURCE)")
    reingest.add_argument("--db", help=db_help)
    reingest.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs on the console")
    reingest.set_defaults(handler=_reingest)

    serve = commands.add_parser("serve", help="serve the deployments and watch the source folder")
    serve.add_argument("--source", help="folder to watch and ingest (default: $SEEDFLOW_SOURCE, then ./seeds)")
    serve.add_argument("--db", help=db_help)
    serve.add_argument("--interval", type=int, help="seconds between scheduled runs (default 600)")
    serve.add_argument("--cron", help="cron expression for scheduled runs, instead of the interval")
    serve.set_defaults(handler=_serve)

    database = commands.add_parser("db", help="inspect or upgrade the store's schema")
    database.add_argument("action", choices=["upgrade", "current"])
    database.add_argument("--db", help=db_help)
    database.set_defaults(handler=_database)

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
