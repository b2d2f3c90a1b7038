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

from .errors import DownloadCancelled, DownloadError, ResultGoneError
from .redact import redact_url

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
_PROGRESS_INTERVAL = 0.1  # at most ~10 progress calls a second
_GONE = (403, 404, 410)
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)

Progress = Callable[[int, "int | None"], None]


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
) -> DownloadResult:
    """Fetch ``url`` into ``dest`` (resuming a kept ``.part``); see the module docstring.

    Raises :class:`ResultGoneError` (403/404/410: refetch the task for a fresh URL),
    :class:`DownloadCancelled`, or :class:`DownloadError` (the ``.part`` is kept when it is a
    valid prefix, so the next call resumes).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(30.0, read=60.0), follow_redirects=True)
    try:
        for _ in range(3):  # a 416 or a stale .part restarts from zero; never loop forever
            outcome = _attempt(url, dest, http, progress, cancel)
            if outcome is not None:
                break
        else:
            raise DownloadError(f"could not get a consistent copy of {redact_url(url)}")
    finally:
        if own_client:
            http.close()
    sha = _sha256(part_path(dest))
    if expected_sha256 and sha != expected_sha256.lower():
        discard_partial(dest)
        raise DownloadError(f"sha256 mismatch for {dest.name}")
    os.replace(part_path(dest), dest)
    with contextlib.suppress(FileNotFoundError):
        meta_path(dest).unlink()
    _fsync_dir(dest.parent)
    size, resumed_from = outcome
    log.info("downloaded %s (%d bytes, resumed from %d)", dest.name, size, resumed_from)
    return DownloadResult(path=dest, size=size, sha256=sha, resumed_from=resumed_from)


def _attempt(
    url: str, dest: Path, http: httpx.Client, progress: Progress | None, cancel: threading.Event | None
) -> tuple[int, int] | None:
    """One request. Returns (size, resumed_from) when the .part is complete, None to restart."""
    _check_cancel(cancel, dest)
    part = part_path(dest)
    meta = _read_meta(dest)
    offset = part.stat().st_size if part.exists() else 0
    validator = _validator(meta)
    headers = {"Accept-Encoding": "identity"}
    if offset > 0 and validator:
        headers["Range"] = f"bytes={offset}-"
        headers["If-Range"] = validator
    elif offset > 0:
        offset = 0  # no way to prove the server still has the same file: start over
    log.debug("GET %s (from byte %d)", redact_url(url), offset)
    throttle = _Throttle(progress)
    try:
        with http.stream("GET", url, headers=headers, follow_redirects=True) as response:
            status = response.status_code
            if status in _GONE:
                raise ResultGoneError(f"result URL answered HTTP {status}: {redact_url(url)}", status=status)
            if status == 416:
                match = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", ""))
                if match and offset == int(match.group(1)):
                    return offset, offset  # the .part already holds the whole file
                discard_partial(dest)
                return None
            if status not in (200, 206):
                raise DownloadError(f"result URL answered HTTP {status}: {redact_url(url)}")
            total: int | None
            if status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if not match or int(match.group(1)) != offset:
                    discard_partial(dest)
                    return None
                total = int(match.group(3)) if match.group(3) != "*" else None
                mode = "ab"
            else:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                offset, mode = 0, "wb"  # the server ignored Range, or the file changed
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
                        handle.write(chunk)
                        done += len(chunk)
                        throttle(done, total)
                finally:
                    handle.flush()
                    os.fsync(handle.fileno())
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
    return size, resumed_from


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
                url, dest, client=client, progress=progress, cancel=cancel, expected_sha256=expected_sha256
            )
        except (ResultGoneError, DownloadCancelled):
            raise
        except DownloadError as error:
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
    "DownloadResult",
    "discard_partial",
    "download_file",
    "download_with_retries",
    "meta_path",
    "part_path",
]
