"""The `seedflow` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


# The `ingest` flags that set an IngestOptions field of the same name.
_INGEST_OPTIONS = ("force", "batch_size", "workers", "dask_address", "extensions", "max_bytes", "settle_seconds", "max_seconds")
_REINGEST_OPTIONS = ("force", "paths", "since")


def _options(args: argparse.Namespace, names: Sequence[str], command: str) -> dict[str, Any] | None:
    """The flow parameters the flags set, validated by IngestOptions (None after printing why not).

    Flags left out are None and left out here too, so the model's defaults apply (or, for
    `reingest` through the server, the deployment's parameters).
    """
    from pydantic import ValidationError

    from flows.options import IngestOptions

    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    try:
        options = IngestOptions.given(**given)
    except ValidationError as error:
        problem = error.errors()[0]
        flag = "--" + str(problem["loc"][0]).replace("_", "-")
        print(f"seedflow {command}: {flag}: {problem['msg']}", file=sys.stderr)
        return None
    return {name: value for name, value in options.parameters().items() if name in given}


def _connect(verbose: bool, command: str) -> tuple[bool, str | None]:
    """Prepare Prefect for a run: (False, None) when no server could be started, else (True, API or None)."""
    _prefect_defaults(verbose)
    from flows import server

    try:
        return True, server.connect_for_run()
    except server.ServerDidNotStart as error:
        print(f"seedflow {command}: {error}", file=sys.stderr)
        return False, None


def _ingest(args: argparse.Namespace) -> int:
    parameters = _options(args, _INGEST_OPTIONS, "ingest")
    if parameters is None:
        return 2
    connected, api = _connect(args.verbose, "ingest")
    if not connected:
        return 1
    from flows.ingest import ingest

    return _run_locally(ingest, args, parameters, "ingest", api)


def _run_locally(flow: Any, args: argparse.Namespace, parameters: dict[str, Any], command: str, api: str | None) -> int:
    """Run the flow in this process; with a lasting server, the summary ends with the run's page."""
    from prefect import tags

    from flows.report import format_summary
    from flows.server import flow_run_page

    with tags("manual"), _console_quiet(args.verbose):
        state = flow(source=args.source, db=args.db, **parameters, return_state=True)
    if state.is_failed() or state.is_crashed():
        print(f"seedflow {command} failed: {_reason(state)}", file=sys.stderr)
        return 1
    report = state.result()
    print(format_summary(report))
    if api and report["flow_run_id"]:
        print(f"  run: {flow_run_page(report['flow_run_id'])}")
    return 0


@contextmanager
def _console_quiet(verbose: bool) -> Iterator[None]:
    """Without -v, Prefect's console copy of the logs stays silent for the run.

    A failure is then the one line printed here, not Prefect's tracebacks above it (they
    are in the UI, and on the console with -v). The environment default set before import
    does not reach handlers Prefect configured earlier in the process (a test session).
    """
    if verbose:
        yield
        return
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger))]
    consoles = {h: h.level for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)}
    for handler in consoles:
        handler.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for handler, level in consoles.items():
            handler.setLevel(level)


def _reingest(args: argparse.Namespace) -> int:
    """Trigger the `reingest` deployment where `seedflow serve` serves it, else run the flow here."""
    parameters = _options(args, _REINGEST_OPTIONS, "reingest")
    if parameters is None:
        return 2
    connected, api = _connect(args.verbose, "reingest")
    if not connected:
        return 1
    from flows import server

    if api and server.deployment_served("ingest/reingest"):
        from prefect.deployments import run_deployment

        overrides = {k: v for k, v in {"source": args.source, "db": args.db}.items() if v}
        run = run_deployment("ingest/reingest", parameters={**parameters, **overrides}, timeout=0)
        print(f"seedflow reingest: started {run.name}\n  {server.flow_run_page(str(run.id))}")
        return 0
    from flows.ingest import ingest

    return _run_locally(ingest, args, parameters, "reingest", api)


def _server(args: argparse.Namespace) -> int:
    """Status of the seedflow-local Prefect server, or stop it."""
    from flows.server import LocalServer

    local = LocalServer.configured()
    pid, up = local.pid(), local.up()
    origin = f"started by seedflow, pid {pid}" if pid else "not started by seedflow (`make server`?)"
    if args.action == "status":
        if up:
            print(f"seedflow server: up at {local.ui_url} ({origin}; state in {local.home})")
            return 0
        state = f"starting (pid {pid}; log {local.log})" if pid else "not running (`seedflow ingest` starts it)"
        print(f"seedflow server: {state}")
        return 1
    if local.stop():
        print(f"seedflow server: stopped (pid {pid})")
        return 0
    if up:
        print(f"seedflow server: the server at {local.ui_url} was {origin}: stop it where it runs", file=sys.stderr)
        return 1
    print("seedflow server: not running")
    return 0


def _serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    connected, url = _connect(True, "serve")
    if not connected:
        return 1
    from flows import server

    if not url or not server.reachable(url):
        print(
            f"seedflow serve needs a running Prefect server: {url or 'SEEDFLOW_EPHEMERAL asks for none'} is not "
            "answering (unset SEEDFLOW_EPHEMERAL and PREFECT_API_URL to use the seedflow-local one)",
            file=sys.stderr,
        )
        return 1
    import httpx

    from deployments.definitions import Schedule
    from deployments.serve import serve
    from flows.settings import Settings

    schedule = Schedule.from_environment()
    if args.interval:
        schedule = Schedule(interval_seconds=args.interval)
    if args.cron:
        schedule = Schedule(cron=args.cron)
    settings = Settings.resolve(args.source, args.db)
    print(f"seedflow serve: watching {settings.source}, deployments ingest/ingest, ingest/watch, ingest/reingest on {url}")
    try:
        serve(settings, schedule, args.poll_seconds)
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
    store = _open_store(args, "export")
    if store is None:
        return 1
    options = {"filters": _filters(args), "all_versions": args.all_versions, "as_of": args.as_of}
    try:
        if not args.output:
            store.export_to(sys.stdout.buffer if args.format == "parquet" else sys.stdout, args.format, **options)
        elif args.format == "parquet":
            with open(args.output, "wb") as binary:
                store.export_to(binary, args.format, **options)
        else:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                store.export_to(out, args.format, **options)
    except ValueError as error:
        print(f"seedflow export: {error}", file=sys.stderr)
        return 1
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


class _OptionDefaultsFormatter(argparse.HelpFormatter):
    """Quotes each option's default from IngestOptions, imported only when the help is shown."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        from flows.options import IngestOptions, describe_default

        field = IngestOptions.model_fields.get(action.dest)
        if field is None or field.default is None or isinstance(field.default, bool):
            return action.help
        return f"{action.help} (default {describe_default(action.dest)})"


def _add_filters(command: argparse.ArgumentParser, format_alias: bool = True) -> None:
    """The selection `export`, `changes` and `search` share (`storage.filters.Filters`)."""
    command.add_argument("--language", help="only this language code (en, de, und…)")
    command.add_argument("--status", choices=["active", "deleted", "rejected"], help="only versions with this status")
    # On export `--format` is the output format; the others take it for the source format too.
    flags = ["--source-format", "--format"] if format_alias else ["--source-format"]
    command.add_argument(*flags, dest="source_format", help="only documents of this source format (html, text…)")
    command.add_argument("--key", help="only keys matching this glob (* and ? match / too)")


def _filters(args: argparse.Namespace) -> Any:
    from storage.filters import Filters
    from storage.status import Status

    return Filters(args.language, Status(args.status) if args.status else None, args.source_format, args.key)


def _open_store(args: argparse.Namespace, command: str) -> Any:
    """The store for reading, or None after saying why there is none (reads never create one)."""
    from storage import Store, StoreNotReady

    try:
        return Store(_store_url(args))
    except StoreNotReady as error:
        print(f"seedflow {command}: {error}", file=sys.stderr)
        return None


def _changes(args: argparse.Namespace) -> int:
    from storage.feed import CursorAhead

    store = _open_store(args, "changes")
    if store is None:
        return 1
    try:
        feed = store.changes(since=args.since, until=args.until, filters=_filters(args), keys_only=args.keys_only)
    except CursorAhead as error:
        print(f"seedflow changes: {error}", file=sys.stderr)
        return 1
    if feed.pruned:
        print(f"seedflow changes: versions up to cursor {feed.pruned_through} were pruned; intermediate versions after "
              f"{args.since} are missing (current versions and deletions are complete)", file=sys.stderr)
        sys.stdout.write(json.dumps({"pruned_through": feed.pruned_through, "since": args.since}) + "\n")
    for change in feed:
        sys.stdout.write(json.dumps(change, ensure_ascii=False) + "\n")
    sys.stdout.write(json.dumps({"cursor": feed.cursor}) + "\n")
    return 0


def _diff(args: argparse.Namespace) -> int:
    store = _open_store(args, "diff")
    if store is None:
        return 1
    try:
        sys.stdout.write(store.diff(args.key, args.old, args.new))
    except LookupError as error:
        print(f"seedflow diff: {error.args[0]}", file=sys.stderr)
        return 1
    return 0


def _search(args: argparse.Namespace) -> int:
    store = _open_store(args, "search")
    if store is None:
        return 1
    for hit in store.search(args.query, limit=args.limit, filters=_filters(args)):
        if args.json:
            record = {"key": hit.key, "title": hit.title, "language": hit.language, "snippet": hit.snippet,
                      "score": hit.score}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            print(f"{hit.score:8.3f}  {hit.key}  [{hit.language}]  {hit.title or ''}\n          {hit.snippet}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from storage import retention

    url = _store_url(args)
    try:
        dropped = retention.prune(url, keep_versions=args.keep_versions, older_than_days=args.older_than)
    except (LookupError, RuntimeError, ValueError) as error:
        print(f"seedflow prune: {error}", file=sys.stderr)
        return 1
    print(f"seedflow prune: dropped {dropped} old version{'s' * (dropped != 1)}")
    return 0


def _purge(args: argparse.Namespace) -> int:
    """Erase the keys; clusters they headed are re-homed by the near-duplicate clustering."""
    import shlex

    from storage import retention
    from tasks.near_duplicates import index

    def rehome(session: Any, document_ids: Sequence[int], now: Any) -> int:
        return index.resettle(session, document_ids, {}, None, None, now)  # type: ignore[arg-type]

    command = shlex.join(["seedflow", "purge", *args.keys])
    try:
        purged = retention.purge(_store_url(args), args.keys, command, rehome)
    except (LookupError, RuntimeError) as error:
        print(f"seedflow purge: {error}", file=sys.stderr)
        return 1
    for key in args.keys:
        print(f"seedflow purge: {'erased' if key in purged else 'not in the store:'} {key}")
    return 0 if purged else 1


def _ui(args: argparse.Namespace) -> int:
    from browser.serve import serve

    return serve(_store_url(args), args.host, args.port)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="seedflow", description="Scheduled document ingestion on Prefect.")
    commands = top.add_subparsers(dest="command", required=True)
    db_help = "SQLAlchemy URL of the store (default: $SEEDFLOW_DATABASE_URL, then ./.seedflow/seedflow.db)"

    ingest = commands.add_parser(
        "ingest", help="run the ingest flow once and print a summary", formatter_class=_OptionDefaultsFormatter
    )
    ingest.add_argument("--source", help="folder or URL (s3://, sftp://, …) to ingest (default: $SEEDFLOW_SOURCE, then ./seeds)")
    ingest.add_argument("--db", help=db_help)
    ingest.add_argument("--force", action="store_true", default=None, help="re-read every file, even unchanged ones")
    ingest.add_argument("--batch-size", type=int, help="documents per task run")
    ingest.add_argument("--workers", type=int, help="processes for the CPU-bound stages")
    ingest.add_argument("--dask-address", help="run the CPU-bound stages on this Dask scheduler (tcp://HOST:PORT)")
    ingest.add_argument(
        "--extension", dest="extensions", action="append",
        help="ingest files with this extension (repeatable; '' for none; default: every document format's, "
             "none, and containers: .warc .zip .tar .tgz .gz .bz2 .xz .zst .jsonl .ndjson .json .parquet)",
    )
    ingest.add_argument("--max-bytes", type=int, help="reject larger files unread")
    ingest.add_argument("--settle-seconds", type=float, help="leave files modified this recently for the next run")
    ingest.add_argument("--max-seconds", type=float, help="time limit for parsing one file")
    ingest.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs on the console")
    ingest.set_defaults(handler=_ingest)

    export = commands.add_parser("export", help="write the stored records (JSON Lines, CSV or Parquet) to stdout or a file")
    export.add_argument("--db", help=db_help)
    export.add_argument("--all-versions", action="store_true", help="every version, not only the current one")
    export.add_argument("--as-of", help="each document as it was at this ISO 8601 time (UTC without a zone) or flow run id")
    export.add_argument("--format", choices=["jsonl", "parquet", "csv"], default="jsonl", help="output format (default jsonl)")
    export.add_argument("--output", help="write to this file instead of stdout")
    _add_filters(export, format_alias=False)
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
    reingest.add_argument("--path", dest="paths", action="append", help="only keys matching this glob (repeatable)")
    reingest.add_argument("--since", type=date.fromisoformat, help="only files modified after this date (YYYY-MM-DD)")
    reingest.add_argument("--force", action="store_true", default=None, help="re-read the selected files even if unchanged")
    reingest.add_argument("--source", help="folder to ingest (default: the deployment's, or $SEEDFLOW_SOURCE)")
    reingest.add_argument("--db", help=db_help)
    reingest.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs on the console")
    reingest.set_defaults(handler=_reingest)

    serve = commands.add_parser("serve", help="serve the deployments and watch the source folder")
    serve.add_argument("--source", help="folder or URL to watch and ingest (default: $SEEDFLOW_SOURCE, then ./seeds)")
    serve.add_argument("--db", help=db_help)
    serve.add_argument("--interval", type=int, help="seconds between scheduled runs (default 600)")
    serve.add_argument("--cron", help="cron expression for scheduled runs, instead of the interval")
    serve.add_argument(
        "--poll-seconds", type=float,
        help="how often a remote source's listing is checked for changes (default 60; folders are watched instead)",
    )
    serve.set_defaults(handler=_serve)

    database = commands.add_parser("db", help="inspect or upgrade the store's schema")
    database.add_argument("action", choices=["upgrade", "current"])
    database.add_argument("--db", help=db_help)
    database.set_defaults(handler=_database)

    duplicates = commands.add_parser("duplicates", help="list near-duplicate clusters: canonical, members, similarity")
    duplicates.add_argument("--db", help=db_help)
    duplicates.add_argument("--json", action="store_true", help="one JSON object per cluster (JSON Lines)")
    duplicates.set_defaults(handler=_duplicates)

    server = commands.add_parser("server", help="the seedflow-local Prefect server that ingest starts and leaves running")
    server.add_argument("action", choices=["status", "stop"])
    server.set_defaults(handler=_server)


    changes = commands.add_parser("changes", help="every version written after a cursor, in commit order (JSON Lines)")
    changes.add_argument("--since", type=int, required=True, help="cursor from the last run's final line (0: everything)")
    changes.add_argument("--until", type=int, help="stop at this cursor (default: the newest)")
    changes.add_argument("--keys-only", action="store_true", help="only change, cursor, key and version")
    changes.add_argument("--db", help=db_help)
    _add_filters(changes)
    changes.set_defaults(handler=_changes)

    diff = commands.add_parser("diff", help="metadata changes and a unified text diff between two versions")
    diff.add_argument("key", help="path relative to the source root")
    diff.add_argument("old", nargs="?", type=int, help="from this version (default: the one before TO)")
    diff.add_argument("new", nargs="?", type=int, help="to this version (default: the current one)")
    diff.add_argument("--db", help=db_help)
    diff.set_defaults(handler=_diff)

    search = commands.add_parser("search", help="full-text search over current versions, best first")
    search.add_argument("query", help="words that must all occur")
    search.add_argument("--limit", type=int, default=10, help="results to show (default 10)")
    search.add_argument("--json", action="store_true", help="JSON Lines: key, title, language, snippet, score")
    search.add_argument("--db", help=db_help)
    _add_filters(search)
    search.set_defaults(handler=_search)

    prune = commands.add_parser("prune", help="drop old versions (never a document's current one)")
    keep = prune.add_mutually_exclusive_group(required=True)
    keep.add_argument("--keep-versions", type=int, help="keep this many newest versions of each document")
    keep.add_argument("--older-than", type=float, metavar="DAYS", help="drop versions ingested more than DAYS ago")
    prune.add_argument("--db", help=db_help)
    prune.set_defaults(handler=_prune)

    purge = commands.add_parser("purge", help="erase documents entirely (every version), recording only the purge")
    purge.add_argument("keys", nargs="+", metavar="KEY", help="path relative to the source root")
    purge.add_argument("--db", help=db_help)
    purge.set_defaults(handler=_purge)


    ui = commands.add_parser("ui", help="browse the store in a web browser (read-only)")
    ui.add_argument("--db", help=db_help)
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; others get no login)")
    ui.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    ui.set_defaults(handler=_ui)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    from storage.errors import StoreNotReady

    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except StoreNotReady as error:
        print(f"seedflow {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
