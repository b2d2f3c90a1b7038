"""Download a result file safely: resumable, verified, atomic. SYNC: run it in a worker thread.

Result URLs expire and results are paid for, so a download must survive a cut connection and a
restart of the app without ever leaving a half file under the final name:

* bytes go to ``<dest>.part``; the validator (ETag or Last-Modified) and the expected total are
  kept beside it in ``<dest>.part.meta`` (JSON, never the URL: it may be signed);
* a later call resumes with ``Range: bytes=N-`` plus ``If-Range``, so a changed file restarts
  from zero instead of being spliced (a 200 instead of 206 means exactly that);
* ``Accept-Encoding: identity`` keeps byte offsets meaningful;
* the finished size is checked against Content-Length / Content-Range, the file is fsynced,
  hashed (sha256) and renamed into place with ``os.replace``.

Nothing in the answer is trusted (SPEC section 10):

* redirects are followed here, one hop at a time, and every hop must pass
  :func:`~.urls.check_result_url` (https to a public host, or the allowed origin), so a redirect
  to ``file:``, plain http or 169.254.169.254 is a final :class:`UnsafeUrlError`;
* a size cap (the task's expected size when known, else :data:`MAX_DOWNLOAD_BYTES`): a larger
  ``Content-Length`` is refused before reading a byte, a body that grows past it is stopped;
* an overall deadline and a minimum transfer rate: a body that trickles forever ends with
  :class:`DownloadStalledError`;
* an encoded body (``Content-Encoding: gzip`` though identity was asked for) is refused, never
  saved as the file; a close-delimited body (no length) is checked against the expected size or,
  failing that, against the total a one-byte range request reports;
* ``expect_kind`` checks the first bytes (:func:`sniff_kind`) before the file is renamed into
  place: an HTML page, a zip or an empty body is not a video.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from .errors import (
    DownloadCancelled,
    DownloadError,
    DownloadStalledError,
    DownloadTooLargeError,
    ResultGoneError,
    UnexpectedContentError,
    UnsafeUrlError,
)
from .redact import redact_url
from .urls import check_result_url, is_loopback_host

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
_PROGRESS_INTERVAL = 0.1  # at most ~10 progress calls a second
_GONE = (403, 404, 410)
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)

Progress = Callable[[int, "int | None"], None]

#: Largest result accepted when the task gives no size (a 15 s 1080p clip is ~30-60 MB).
MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024
#: Longest one download may take, start to finish.
DOWNLOAD_DEADLINE = 1800.0
#: Slowest acceptable transfer, averaged over :data:`RATE_WINDOW` seconds.
MIN_RATE = 8 * 1024
RATE_WINDOW = 60.0
#: Redirect hops followed (each one checked).
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Limits:
    """The bounds of one download (see the module docstring)."""

    max_bytes: int = MAX_DOWNLOAD_BYTES
    deadline: float = DOWNLOAD_DEADLINE
    min_rate: float = MIN_RATE
    rate_window: float = RATE_WINDOW


def sniff_kind(head: bytes) -> str:
    """What the first bytes of a file are: "video" (MP4/MOV ``ftyp``/``moov``..., WebM/Matroska),
    "image" (PNG, JPEG, WebP, GIF), "html", "zip", "gzip", "empty" or "unknown"."""
    if not head:
        return "empty"
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip") or head[:4] == b"\x1a\x45\xdf\xa3":
        return "video"
    if head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:4] == b"GIF8" or (
            head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"{", b"[")):
        return "html" if text[:1] == b"<" else "unknown"
    return "unknown"


class _Budget:
    """The overall deadline and the minimum rate of one download, on a monotonic clock."""

    def __init__(self, limits: Limits, name: str) -> None:
        self._limits = limits
        self._name = name
        self._start = time.monotonic()
        self._window_start = self._start
        self._window_bytes = 0

    def check(self, received: int) -> None:
        now = time.monotonic()
        limits = self._limits
        if now - self._start > limits.deadline:
            raise DownloadStalledError(f"download of {self._name} passed its {limits.deadline:.0f} s deadline")
        self._window_bytes += received
        elapsed = now - self._window_start
        if elapsed >= limits.rate_window:
            rate = self._window_bytes / elapsed
            if rate < limits.min_rate:
                raise DownloadStalledError(
                    f"download of {self._name} ran at {rate:.0f} B/s, below the minimum of {limits.min_rate:.0f} B/s")
            self._window_start, self._window_bytes = now, 0

    def read_timeout(self) -> float:
        """Seconds left before the deadline (the longest a single read may wait)."""
        return max(0.001, self._limits.deadline - (time.monotonic() - self._start))


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    sha256: str
    #: Bytes that were already on disk from an earlier attempt (0: downloaded in one go).
    resumed_from: int = 0


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.meta")


def discard_partial(dest: Path) -> None:
    """Delete a kept ``.part`` and its metadata (e.g. when the job is removed)."""
    for path in (part_path(dest), meta_path(dest)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _read_meta(dest: Path) -> dict[str, object]:
    try:
        value = json.loads(meta_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_meta(dest: Path, etag: str | None, last_modified: str | None, total: int | None) -> None:
    path = meta_path(dest)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"etag": etag, "last_modified": last_modified, "total": total}), encoding="utf-8")
    os.replace(tmp, path)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _validator(meta: dict[str, object]) -> str | None:
    etag = meta.get("etag")
    if isinstance(etag, str) and etag and not etag.startswith("W/"):
        return etag  # weak ETags may not be used with If-Range (RFC 9110 13.1.5)
    modified = meta.get("last_modified")
    return modified if isinstance(modified, str) and modified else None


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


class _Throttle:
    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._last = 0.0

    def __call__(self, done: int, total: int | None, *, force: bool = False) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if force or now - self._last >= _PROGRESS_INTERVAL:
            self._last = now
            self._progress(done, total)


def _check_cancel(cancel: threading.Event | None, dest: Path) -> None:
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled(f"download of {dest.name} cancelled")


def download_file(
    url: str,
    dest: Path,
    *,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    expected_sha256: str | None = None,
    allowed_origin: str | None = None,
    expected_size: int | None = None,
    expect_kind: str | None = None,
    limits: Limits | None = None,
) -> DownloadResult:
    """Fetch ``url`` into ``dest`` (resuming a kept ``.part``); see the module docstring.

    ``allowed_origin``: the configured base URL, whose scheme and host are trusted besides
    public https (pass the client's ``base_url``; when None, a loopback http ``url`` trusts its
    own origin, for demo mode). ``expected_size``: the size the task gave, which becomes the
    cap. ``expect_kind`` ("video", "image"): the first bytes must be that kind.

    Raises :class:`ResultGoneError` (403/404/410: refetch the task for a fresh URL),
    :class:`DownloadCancelled`, :class:`UnsafeUrlError` and :class:`DownloadTooLargeError`
    (final), :class:`DownloadStalledError`, :class:`UnexpectedContentError`, or
    :class:`DownloadError` (the ``.part`` is kept when it is a valid prefix, so the next call
    resumes).
    """
    dest = Path(dest)
    limits = limits or Limits()
    if expected_size is not None and expected_size > 0:
        limits = Limits(min(limits.max_bytes, expected_size), limits.deadline, limits.min_rate, limits.rate_window)
    origin = allowed_origin or _own_origin(url)
    check_result_url(url, origin)
    dest.parent.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(30.0, read=60.0), follow_redirects=False)
    budget = _Budget(limits, dest.name)
    try:
        for _ in range(3):  # a 416 or a stale .part restarts from zero; never loop forever
            outcome = _attempt(url, dest, http, progress, cancel, origin, limits, budget)
            if outcome is not None:
                break
        else:
            raise DownloadError(f"could not get a consistent copy of {redact_url(url)}")
        size = outcome[0]
        if expected_size is not None and expected_size > 0 and size != expected_size:
            raise UnexpectedContentError(f"download of {dest.name} has {size} bytes; the task said {expected_size}")
        if outcome[2]:  # close-delimited: nothing said how long it should be
            _verify_total(url, dest, http, origin, size)
    finally:
        if own_client:
            http.close()
    if expect_kind is not None:
        with part_path(dest).open("rb") as handle:
            kind = sniff_kind(handle.read(4096))
        if kind != expect_kind:
            discard_partial(dest)
            raise UnexpectedContentError(
                f"download of {dest.name} is not a {expect_kind} (its first bytes look like: {kind})",
                user_message=f"The server sent something that is not a {expect_kind} ({kind}); it will be refetched.",
            )
    sha = _sha256(part_path(dest))
    if expected_sha256 and sha != expected_sha256.lower():
        discard_partial(dest)
        raise DownloadError(f"sha256 mismatch for {dest.name}")
    os.replace(part_path(dest), dest)
    with contextlib.suppress(FileNotFoundError):
        meta_path(dest).unlink()
    _fsync_dir(dest.parent)
    size, resumed_from, _ = outcome
    log.info("downloaded %s (%d bytes, resumed from %d)", dest.name, size, resumed_from)
    return DownloadResult(path=dest, size=size, sha256=sha, resumed_from=resumed_from)


def _own_origin(url: str) -> str | None:
    """The URL itself as the trusted origin when it is plain http on loopback (demo mode)."""
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    return url if parts.scheme == "http" and is_loopback_host(parts.host) else None


def _open(http: httpx.Client, url: str, headers: dict[str, str], origin: str | None,
          budget: _Budget) -> httpx.Response:
    """Send the GET and follow redirects one checked hop at a time. The caller closes it."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_result_url(current, origin, what="redirected result" if current != url else "result")
        timeout = httpx.Timeout(30.0, read=min(60.0, budget.read_timeout()))
        request = http.build_request("GET", current, headers=headers, timeout=timeout)
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.InvalidURL as exc:
            # httpx prepares the next hop even when not following it: a Location it cannot
            # even parse (``javascript:...``) is a redirect the app will not take.
            raise UnsafeUrlError(f"result URL {redact_url(current)} redirects to an invalid location",
                                 url=redact_url(current),
                                 user_message="The result link redirects somewhere the app will not go.") from exc
        if response.status_code not in _REDIRECTS:
            return response
        location = response.headers.get("Location", "")
        response.close()
        try:
            current = str(httpx.URL(current).join(location))
        except (httpx.InvalidURL, ValueError, TypeError):
            current = location
        if location[:5].lower() in ("file:", "data:") or location[:11].lower() == "javascript:":
            current = location  # keep the scheme for the refusal (join would too, but say so)
        log.debug("result redirect -> %s", redact_url(current))
    raise DownloadError(f"more than {MAX_REDIRECTS} redirects for {redact_url(url)}")


def _verify_total(url: str, dest: Path, http: httpx.Client, origin: str | None, size: int) -> None:
    """A close-delimited body ended at ``size``: ask for one byte with a range to learn the real
    total. A server that reports a larger total cut the body short (the ``.part`` is kept, so the
    next attempt resumes); one that cannot say leaves nothing to compare."""
    if size == 0:
        return
    headers = {"Accept-Encoding": "identity", "Range": "bytes=0-0"}
    validator = _validator(_read_meta(dest))
    if validator:
        headers["If-Range"] = validator
    try:
        response = _open(http, url, headers, origin, _Budget(Limits(deadline=60.0, min_rate=0.0), dest.name))
        try:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "")) if response.status_code == 206 else None
        finally:
            response.close()
    except httpx.TransportError:
        return
    if match and match.group(3) != "*" and int(match.group(3)) != size:
        raise UnexpectedContentError(
            f"download of {dest.name} ended at {size} bytes without a length; the server reports {match.group(3)}")


def _attempt(
    url: str, dest: Path, http: httpx.Client, progress: Progress | None, cancel: threading.Event | None,
    origin: str | None, limits: Limits, budget: _Budget,
) -> tuple[int, int, bool] | None:
    """One request. Returns (size, resumed_from, close_delimited) when the .part is complete,
    None to restart."""
    _check_cancel(cancel, dest)
    part = part_path(dest)
    meta = _read_meta(dest)
    offset = part.stat().st_size if part.exists() else 0
    validator = _validator(meta)
    headers = {"Accept-Encoding": "identity"}
    if offset > limits.max_bytes:
        discard_partial(dest)
        offset = 0
    if offset > 0 and validator:
        headers["Range"] = f"bytes={offset}-"
        headers["If-Range"] = validator
    elif offset > 0:
        offset = 0  # no way to prove the server still has the same file: start over
    log.debug("GET %s (from byte %d)", redact_url(url), offset)
    throttle = _Throttle(progress)
    close_delimited = False
    try:
        response = _open(http, url, headers, origin, budget)
        try:
            status = response.status_code
            if status in _GONE:
                raise ResultGoneError(f"result URL answered HTTP {status}: {redact_url(url)}", status=status)
            if status == 416:
                match = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", ""))
                if match and offset == int(match.group(1)):
                    return offset, offset, False  # the .part already holds the whole file
                discard_partial(dest)
                return None
            if status not in (200, 206):
                raise DownloadError(f"result URL answered HTTP {status}: {redact_url(url)}")
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            if encoding not in ("", "identity"):
                raise UnexpectedContentError(
                    f"result URL answered with Content-Encoding {encoding[:40]!r} though identity was asked for")
            total: int | None
            if status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if not match or int(match.group(1)) != offset:
                    discard_partial(dest)
                    return None
                total = int(match.group(3)) if match.group(3) != "*" else None
                mode = "ab"
            else:
                length = response.headers.get("Content-Length", "").strip()
                total = int(length) if length.isdigit() and len(length) < 20 else None
                chunked = "chunked" in response.headers.get("Transfer-Encoding", "").lower()
                close_delimited = total is None and not chunked
                offset, mode = 0, "wb"  # the server ignored Range, or the file changed
            if total is not None and total > limits.max_bytes:
                raise DownloadTooLargeError(
                    f"result is {total} bytes, more than the {limits.max_bytes}-byte cap: not downloaded")
            resumed_from = offset
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            if status == 206 and not (etag or modified):
                # Some CDNs omit validators on partial answers: keep the ones that got us here.
                etag, modified = _text(meta.get("etag")), _text(meta.get("last_modified"))
            _write_meta(dest, etag, modified, total)
            done = offset
            throttle(done, total, force=True)
            with part.open(mode) as handle:
                try:
                    for chunk in response.iter_raw():  # unbuffered: every received byte is kept
                        _check_cancel(cancel, dest)
                        if done + len(chunk) > limits.max_bytes:
                            handle.truncate(0)
                            raise DownloadTooLargeError(
                                f"result grew past the {limits.max_bytes}-byte cap: download stopped")
                        handle.write(chunk)
                        done += len(chunk)
                        budget.check(len(chunk))
                        throttle(done, total)
                finally:
                    handle.flush()
                    os.fsync(handle.fileno())
        finally:
            response.close()
    except DownloadTooLargeError:
        discard_partial(dest)
        raise
    except httpx.TimeoutException as exc:
        budget.check(0)
        raise DownloadStalledError(
            f"download of {dest.name} stalled at {part.stat().st_size if part.exists() else 0} bytes: {type(exc).__name__}"
        ) from exc
    except httpx.TransportError as exc:
        raise DownloadError(
            f"download of {dest.name} cut short at {part.stat().st_size if part.exists() else 0} bytes: {type(exc).__name__}"
        ) from exc
    size = part.stat().st_size
    throttle(size, total, force=True)
    if total is not None and size != total:
        if size > total:
            discard_partial(dest)
        raise DownloadError(f"download of {dest.name} has {size} of {total} bytes")
    return size, resumed_from, close_delimited


def download_with_retries(
    url: str,
    dest: Path,
    *,
    attempts: int = 4,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    expected_sha256: str | None = None,
    sleep: Callable[[float], object] | None = None,
    backoff: float = 0.5,
    allowed_origin: str | None = None,
    expected_size: int | None = None,
    expect_kind: str | None = None,
    limits: Limits | None = None,
) -> DownloadResult:
    """:func:`download_file`, resuming after a cut or network error up to ``attempts`` times.

    :class:`ResultGoneError` and :class:`DownloadCancelled` are raised at once (the first needs
    a fresh URL from the task, the second was asked for). Waits between attempts are
    interruptible by ``cancel``.
    """
    last: DownloadError | None = None
    for attempt in range(1, max(1, attempts) + 1):
        try:
            result = download_file(
                url, dest, client=client, progress=progress, cancel=cancel, expected_sha256=expected_sha256,
                allowed_origin=allowed_origin, expected_size=expected_size, expect_kind=expect_kind, limits=limits,
            )
        except (ResultGoneError, DownloadCancelled):
            raise
        except DownloadError as error:
            if not error.retryable:
                raise  # unsafe URL, too large: no retry can fix it
            last = error
            if attempt >= attempts:
                break
            delay = min(8.0, backoff * (2 ** (attempt - 1)))
            log.info("download of %s failed (%s); resuming in %.1f s", dest.name, error, delay)
            if sleep is not None:
                sleep(delay)
            elif cancel is not None:
                if cancel.wait(delay):
                    raise DownloadCancelled(f"download of {dest.name} cancelled") from None
            else:
                time.sleep(delay)
            continue
        return result
    assert last is not None
    raise last


__all__ = [
    "CHUNK_SIZE",
    "DOWNLOAD_DEADLINE",
    "DownloadResult",
    "Limits",
    "MAX_DOWNLOAD_BYTES",
    "MIN_RATE",
    "sniff_kind",
    "discard_partial",
    "download_file",
    "download_with_retries",
    "meta_path",
    "part_path",
]
