"""Listing and reading an S3 bucket (or any S3-compatible server) below a prefix.

s3fs supplies the client, so credentials and the endpoint come from botocore's
standard places (environment incl. `AWS_ENDPOINT_URL`, `~/.aws`, instance roles); the
calls go to the client itself because s3fs's `find` gathers a whole listing (and
caches it) before returning, and its reads cannot say `If-Match`. Each listing page
is yielded before the next is fetched, and a read is one conditional GET: the object
is downloaded only if it still has the ETag it was listed with.
"""

from __future__ import annotations

import asyncio
import calendar
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import fsspec
from aiobotocore.session import AioSession
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError
from fsspec.asyn import sync

from tasks.sources.base import EntryChanging, ReadError, Snapshot, SourceEntry, SourceUnavailable
from tasks.sources.filesystem import Listed
from tasks.sources.retry import RetriesExhausted, describe, retrying

# Our own retry loop is the only one, so "a few attempts" means what it says; botocore's
# default pool of 10 connections would cap `read_many` below its concurrency.
CLIENT_CONFIG = {
    "retries": {"total_max_attempts": 1, "mode": "standard"},
    "connect_timeout": 10,
    "read_timeout": 60,
    "max_pool_connections": 64,
}

TRANSIENT_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "ServiceUnavailable",
     "RequestLimitExceeded", "TooManyRequestsException"}
)
DENIED_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "AllAccessDisabled"}
)


def _code(error: ClientError) -> tuple[str, int]:
    return error.response.get("Error", {}).get("Code", ""), error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def transient(error: BaseException) -> bool:
    """Whether `error` is worth another attempt: throttling, 5xx, timeouts, dropped connections."""
    if isinstance(error, ClientError):
        code, status = _code(error)
        return code in TRANSIENT_CODES or status in (500, 502, 503, 504)
    if isinstance(error, NoCredentialsError):
        return False
    if isinstance(error, (HTTPClientError, BotoConnectionError, TimeoutError, ConnectionError)):
        return True
    # aiohttp's payload and disconnect errors surface unwrapped while a body streams.
    return type(error).__module__.startswith("aiohttp")


def mtime_ns(moment: datetime | str) -> int:
    """A listing's LastModified as integer nanoseconds since the epoch, without float rounding."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return calendar.timegm(moment.utctimetuple()) * 1_000_000_000 + moment.microsecond * 1000


def open_filesystem(url: str) -> tuple[Any, str]:
    """An s3fs filesystem of its own (not fsspec's shared instance) and the bucket/prefix path.

    Its botocore session leaves timestamps as the strings S3 sent: botocore's own
    parser (dateutil) took two thirds of the client's time listing 10,000 objects.
    """
    session = AioSession()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
    return fsspec.url_to_fs(url, skip_instance_cache=True, config_kwargs=CLIENT_CONFIG, session=session)


def _listing_failure(error: BaseException) -> str:
    cause = error.__cause__ if isinstance(error, RetriesExhausted) and error.__cause__ else error
    suffix = f" (after retries: {error})" if cause is not error else ""
    if isinstance(cause, ClientError):
        code, status = _code(cause)
        if code == "NoSuchBucket":
            return "no such bucket"
        if code in DENIED_CODES or status == 403:
            return f"access denied ({code or status}): check the credentials"
        return f"{code or status}: {cause.response.get('Error', {}).get('Message', '')}".rstrip(": ") + suffix
    if isinstance(cause, NoCredentialsError):
        return "no credentials found (environment, ~/.aws or an instance role)"
    if isinstance(cause, BotoConnectionError):
        return f"unreachable: {describe(cause)}{suffix}"
    return describe(cause) + suffix


class S3Backend:
    """One bucket and prefix, reached through an s3fs filesystem's client."""

    def __init__(self, fs: Any, root: str, display: str, page_size: int, attempts: int, backoff: float) -> None:
        self.fs = fs
        self.bucket, _, prefix = root.strip("/").partition("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.display = display
        self.page_size = page_size
        self.attempts = attempts
        self.backoff = backoff

    def _request(self, token: str | None) -> Callable[[], Coroutine[Any, Any, dict[str, Any]]]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix, "MaxKeys": self.page_size}
        if token:
            kwargs["ContinuationToken"] = token

        async def request() -> dict[str, Any]:
            client = await self.fs.set_session()
            return await client.list_objects_v2(**kwargs)

        return request

    def _prefetch(self, token: str | None) -> Future[dict[str, Any]]:
        return asyncio.run_coroutine_threadsafe(self._request(token)(), self.fs.loop)

    def _page(self, token: str | None, prefetched: Future[dict[str, Any]]) -> dict[str, Any]:
        """The page `prefetched` fetches, or, if it failed transiently, retried until it comes."""
        pending: list[Future[dict[str, Any]]] = [prefetched]

        def call() -> dict[str, Any]:
            if pending:
                return pending.pop().result()
            return sync(self.fs.loop, self._request(token))

        try:
            return retrying(call, transient, self.attempts, self.backoff)
        except (RetriesExhausted, BotoCoreError, ClientError, OSError) as error:
            raise SourceUnavailable(f"cannot list {self.display}: {_listing_failure(error)}") from None

    def list(self) -> Iterator[Listed]:
        """Objects below the prefix in key order, at most two pages in memory at a time:
        the next page is requested before this one is handed out, so the server's time
        and the caller's overlap.

        A prefix with no object at all is treated like a missing folder: a mistyped
        prefix must fail the run, not mark every stored document deleted.
        """
        token: str | None = None
        prefetched = self._prefetch(None)
        seen_any = False
        while prefetched is not None:
            page = self._page(token, prefetched)
            token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
            prefetched = self._prefetch(token) if token else None
            for item in page.get("Contents", ()):
                seen_any = True
                key = item["Key"][len(self.prefix):]
                if key and not key.endswith("/"):
                    yield Listed(key, item["Size"], mtime_ns(item["LastModified"]), item.get("ETag", "").strip('"') or None)
        if self.prefix and not seen_any:
            raise SourceUnavailable(f"cannot list {self.display}: nothing under this prefix")

    def read(self, entry: SourceEntry, max_bytes: int, settle_seconds: float) -> Snapshot:
        """One conditional GET. S3 writes are atomic, so there is no half-written object to
        settle: `settle_seconds` does not apply."""
        key = self.prefix + entry.key

        async def get() -> bytes:
            client = await self.fs.set_session()
            kwargs = {"Bucket": self.bucket, "Key": key}
            if entry.etag:
                kwargs["IfMatch"] = f'"{entry.etag}"'
            response = await client.get_object(**kwargs)
            body = response["Body"]
            try:
                if response.get("ContentLength", 0) > max_bytes:
                    raise ReadError(f"file too large: {response['ContentLength']} bytes (limit {max_bytes})")
                if not entry.etag and response.get("ContentLength") != entry.size:
                    raise EntryChanging(f"{entry.key}: size changed since it was listed")
                return await body.read(max_bytes + 1)
            finally:
                body.close()

        try:
            data = sync(self.fs.loop, get)
        except ClientError as error:
            code, status = _code(error)
            if code in ("NoSuchKey", "NotFound") or status == 404:
                raise ReadError(f"vanished: {entry.key} was listed but is gone") from None
            if code == "PreconditionFailed" or status == 412:
                raise EntryChanging(f"{entry.key}: ETag changed since it was listed") from None
            if code in DENIED_CODES or status == 403:
                raise ReadError(f"permission denied ({code or status})") from None
            if transient(error):
                raise
            raise ReadError(f"unreadable: {code or status}") from None
        if len(data) > max_bytes:
            raise ReadError(f"file too large: over {max_bytes} bytes (it grew while being read)")
        return Snapshot(data, len(data), entry.mtime_ns)
