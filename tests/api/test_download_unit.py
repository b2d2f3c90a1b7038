"""download_file against a scripted sync transport: resume, restart, verification, cancel."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from seedance_desktop.api.download import download_file, download_with_retries, meta_path, part_path
from seedance_desktop.api.errors import DownloadCancelled, DownloadError, ResultGoneError

DATA = bytes(range(256)) * 4096  # 1 MiB
URL = "https://files.test/out.mp4?X-Amz-Signature=secret"


class _Stream(httpx.SyncByteStream):
    """A streamed body (as from a socket), optionally cut after ``cut`` bytes."""

    def __init__(self, data: bytes, cut: int | None = None) -> None:
        self.data, self.cut = data, cut

    def __iter__(self) -> Iterator[bytes]:
        end = len(self.data) if self.cut is None else self.cut
        for start in range(0, end, 65_536):
            yield self.data[start:min(end, start + 65_536)]
        if self.cut is not None:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class FileServer:
    """Range/ETag-aware handler with scriptable cuts and status answers."""

    def __init__(self, data: bytes = DATA, etag: str = '"v1"') -> None:
        self.data, self.etag = data, etag
        self.cuts: list[int] = []
        self.statuses: list[int] = []
        self.ignore_range = False
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.statuses:
            return httpx.Response(self.statuses.pop(0), text="gone")
        headers = {"ETag": self.etag, "Accept-Ranges": "bytes"}
        start = 0
        range_header = request.headers.get("Range")
        if range_header and not self.ignore_range and request.headers.get("If-Range") == self.etag:
            start = int(range_header.split("=")[1].rstrip("-"))
            if start >= len(self.data):
                return httpx.Response(416, headers={"Content-Range": f"bytes */{len(self.data)}"})
            headers["Content-Range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
            status = 206
        else:
            status = 200
        body = self.data[start:]
        headers["Content-Length"] = str(len(body))
        cut = self.cuts.pop(0) if self.cuts else None
        return httpx.Response(status, headers=headers, stream=_Stream(body, cut))


def client_for(server: FileServer) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(server))


def test_plain_download_verifies_and_renames(tmp_path: Path) -> None:
    server = FileServer()
    progress: list[tuple[int, int | None]] = []
    dest = tmp_path / "out.mp4"
    with client_for(server) as http:
        result = download_file(URL, dest, client=http, progress=lambda a, b: progress.append((a, b)))
    assert dest.read_bytes() == DATA
    assert result.size == len(DATA) and result.sha256 == hashlib.sha256(DATA).hexdigest() and result.resumed_from == 0
    assert not part_path(dest).exists() and not meta_path(dest).exists()
    assert server.requests[0].headers["Accept-Encoding"] == "identity"
    assert progress[-1] == (len(DATA), len(DATA)) and len(progress) <= 5


def test_cut_download_keeps_part_then_resumes_with_if_range(tmp_path: Path) -> None:
    server = FileServer()
    server.cuts = [300_000]
    dest = tmp_path / "out.mp4"
    with client_for(server) as http:
        with pytest.raises(DownloadError) as caught:
            download_file(URL, dest, client=http)
        assert not isinstance(caught.value, ResultGoneError)
        assert part_path(dest).stat().st_size == 300_000 and not dest.exists()
        meta = json.loads(meta_path(dest).read_text())
        assert meta == {"etag": '"v1"', "last_modified": None, "total": len(DATA)}
        assert "X-Amz" not in meta_path(dest).read_text()
        result = download_file(URL, dest, client=http)
    second = server.requests[1]
    assert second.headers["Range"] == "bytes=300000-" and second.headers["If-Range"] == '"v1"'
    assert result.resumed_from == 300_000 and dest.read_bytes() == DATA
    assert result.sha256 == hashlib.sha256(DATA).hexdigest()


def test_changed_file_restarts_from_zero(tmp_path: Path) -> None:
    server = FileServer()
    server.cuts = [100_000]
    dest = tmp_path / "out.mp4"
    with client_for(server) as http:
        with pytest.raises(DownloadError):
            download_file(URL, dest, client=http)
        server.data, server.etag = DATA[::-1], '"v2"'  # If-Range no longer matches: 200 + full body
        result = download_file(URL, dest, client=http)
    assert result.resumed_from == 0 and dest.read_bytes() == DATA[::-1]


def test_server_ignoring_range_restarts(tmp_path: Path) -> None:
    server = FileServer()
    server.cuts = [100_000]
    dest = tmp_path / "out.mp4"
    with client_for(server) as http:
        with pytest.raises(DownloadError):
            download_file(URL, dest, client=http)
        server.ignore_range = True
        result = download_file(URL, dest, client=http)
    assert server.requests[1].headers.get("Range") == "bytes=100000-"
    assert result.resumed_from == 0 and dest.read_bytes() == DATA


def test_complete_part_finishes_on_416(tmp_path: Path) -> None:
    server = FileServer()
    dest = tmp_path / "out.mp4"
    part_path(dest).write_bytes(DATA)
    meta_path(dest).write_text(json.dumps({"etag": '"v1"', "total": len(DATA)}))
    with client_for(server) as http:
        result = download_file(URL, dest, client=http)
    assert result.size == len(DATA) and dest.read_bytes() == DATA


@pytest.mark.parametrize("status", [403, 404, 410])
def test_gone_statuses(tmp_path: Path, status: int) -> None:
    server = FileServer()
    server.statuses = [status]
    with client_for(server) as http, pytest.raises(ResultGoneError) as caught:
        download_file(URL, tmp_path / "out.mp4", client=http)
    assert caught.value.status == status and "secret" not in str(caught.value)


def test_server_error_is_download_error(tmp_path: Path) -> None:
    server = FileServer()
    server.statuses = [503]
    with client_for(server) as http, pytest.raises(DownloadError) as caught:
        download_file(URL, tmp_path / "out.mp4", client=http)
    assert not isinstance(caught.value, ResultGoneError)


def test_cancel_keeps_part(tmp_path: Path) -> None:
    cancel = threading.Event()

    class CancellingStream(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield DATA[:65_536]
            cancel.set()  # the person presses Cancel mid-download
            yield DATA[65_536:131_072]

    dest = tmp_path / "out.mp4"
    handler = lambda r: httpx.Response(200, headers={"ETag": '"v1"', "Content-Length": str(len(DATA))},  # noqa: E731
                                       stream=CancellingStream())
    with httpx.Client(transport=httpx.MockTransport(handler)) as http, pytest.raises(DownloadCancelled):
        download_file(URL, dest, client=http, cancel=cancel)
    assert not dest.exists() and part_path(dest).stat().st_size == 65_536


def test_sha_mismatch_discards(tmp_path: Path) -> None:
    dest = tmp_path / "out.mp4"
    with client_for(FileServer()) as http, pytest.raises(DownloadError):
        download_file(URL, dest, client=http, expected_sha256="0" * 64)
    assert not dest.exists() and not part_path(dest).exists()


def test_download_with_retries_resumes_after_cuts(tmp_path: Path) -> None:
    server = FileServer()
    server.cuts = [200_000, 200_000]
    sleeps: list[float] = []
    dest = tmp_path / "out.mp4"
    with client_for(server) as http:
        result = download_with_retries(URL, dest, client=http, sleep=sleeps.append)
    assert dest.read_bytes() == DATA and len(server.requests) == 3 and len(sleeps) == 2
    assert result.sha256 == hashlib.sha256(DATA).hexdigest()
    assert server.requests[2].headers["Range"] == "bytes=400000-"


def test_download_with_retries_stops_on_gone(tmp_path: Path) -> None:
    server = FileServer()
    server.statuses = [410]
    with client_for(server) as http, pytest.raises(ResultGoneError):
        download_with_retries(URL, tmp_path / "o.mp4", client=http, sleep=lambda s: None)
    assert len(server.requests) == 1


def test_resume_with_last_modified_only(tmp_path: Path) -> None:
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-Range") == stamp and request.headers.get("Range"):
            start = int(request.headers["Range"].split("=")[1].rstrip("-"))
            # A partial answer without validators (some CDNs do this).
            return httpx.Response(206, headers={"Content-Range": f"bytes {start}-{len(DATA) - 1}/{len(DATA)}",
                                                "Content-Length": str(len(DATA) - start)}, stream=_Stream(DATA[start:]))
        return httpx.Response(200, headers={"Last-Modified": stamp, "Content-Length": str(len(DATA))},
                              stream=_Stream(DATA, cut=200_000 if len(seen) == 1 else None))

    dest = tmp_path / "out.mp4"
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(DownloadError):
            download_file(URL, dest, client=http)
        result = download_file(URL, dest, client=http)
    assert seen[1].headers["If-Range"] == stamp and result.resumed_from == 200_000
    assert dest.read_bytes() == DATA


def test_part_without_meta_restarts_from_zero(tmp_path: Path) -> None:
    server = FileServer()
    dest = tmp_path / "out.mp4"
    part_path(dest).write_bytes(b"garbage" * 1000)  # no .meta: nothing proves it is the same file
    with client_for(server) as http:
        result = download_file(URL, dest, client=http)
    assert "Range" not in server.requests[0].headers
    assert result.resumed_from == 0 and dest.read_bytes() == DATA
