"""Result downloads: Range, ETag, If-Range, Last-Modified, and signed URLs that expire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pytest
from sim_fixtures import FAST_SIM
from simtest_helpers import auth, submit, upload, v2v_body, video_url, wait_final

from seedance_desktop.media.synth import make_clip
from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.server import SimulatorConfig

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def shared() -> Iterator[SimulatorThread]:
    """One simulator (and one render) for the read-only download tests of this module."""
    with SimulatorThread(SimulatorConfig(**FAST_SIM)) as thread:
        yield thread


@pytest.fixture(scope="module")
def result(shared: SimulatorThread, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    clip = make_clip(tmp_path_factory.mktemp("files") / "clip.mp4", duration=4.0)
    with httpx.Client(base_url=shared.base_url, headers=auth(shared.api_key)) as client:
        url = video_url(wait_final(client, submit(client, v2v_body(upload(client, clip)["url"]))))
    full = httpx.get(url)
    assert full.status_code == 200
    return url, full.content


def test_full_download_headers(result: tuple[str, bytes]) -> None:
    url, body = result
    response = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith("GMT")
    assert "content-encoding" not in response.headers
    assert body[4:8] == b"ftyp"


def test_range_requests(result: tuple[str, bytes]) -> None:
    url, body = result
    size = len(body)
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == body[100:200]
    tail = httpx.get(url, headers={"Range": f"bytes={size - 50}-"})
    assert tail.status_code == 206 and tail.content == body[-50:]
    suffix = httpx.get(url, headers={"Range": "bytes=-10"})
    assert suffix.status_code == 206 and suffix.content == body[-10:]
    beyond = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"


def test_if_range_and_if_none_match(result: tuple[str, bytes]) -> None:
    url, body = result
    head = httpx.get(url, headers={"Range": "bytes=0-0"})
    etag, modified = head.headers["etag"], head.headers["last-modified"]
    same = httpx.get(url, headers={"Range": "bytes=10-", "If-Range": etag})
    assert same.status_code == 206 and same.content == body[10:]
    by_date = httpx.get(url, headers={"Range": "bytes=10-", "If-Range": modified})
    assert by_date.status_code == 206
    changed = httpx.get(url, headers={"Range": "bytes=10-", "If-Range": '"something-else"'})
    assert changed.status_code == 200 and changed.content == body
    old_date = httpx.get(url, headers={"Range": "bytes=10-", "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert old_date.status_code == 200
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())))


def test_signature_is_checked(result: tuple[str, bytes]) -> None:
    url, _ = result
    assert httpx.get(_with_query(url, signature="0" * 40)).status_code == 403
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert httpx.get(_with_query(url, expires=str(expires + 1000))).status_code == 403
    assert httpx.get(url.split("?")[0]).status_code == 403
    assert httpx.get(url.replace("output.mp4", "other.mp4")).status_code == 404


def test_result_urls_expire_after_seven_simulated_days(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    # A hand-driven clock: the task finishes at once, then a week passes in one step.
    now = [1_800_000_000.0]
    sim = simulator_factory(time_scale=1.0, pending_seconds=0.0, processing_seconds=(0.0, 0.0),
                            clock=lambda: now[0])
    with httpx.Client(base_url=sim.base_url, headers=auth(sim.api_key)) as client:
        task_id = submit(client, v2v_body(upload(client, clip)["url"]))
        url = video_url(wait_final(client, task_id))
        now[0] += 7 * 86400 - 1
        assert httpx.get(url).status_code == 200
        now[0] += 2
        gone = httpx.get(url)
        assert gone.status_code == 410 and gone.json()["code"] == 410
        fresh = video_url(client.get(f"/api/v1/tasks/{task_id}").json()["data"])
        assert fresh != url and httpx.get(fresh).status_code == 200


def test_result_ttl_counts_in_simulated_time(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    now = [1_800_000_000.0]
    sim = simulator_factory(time_scale=3600.0, pending_seconds=0.0, processing_seconds=(0.0, 0.0),
                            result_ttl_seconds=7200.0, clock=lambda: now[0])
    with httpx.Client(base_url=sim.base_url, headers=auth(sim.api_key)) as client:
        url = video_url(wait_final(client, submit(client, v2v_body(upload(client, clip)["url"]))))
        now[0] += 1.9  # 1.9 real seconds = 1.9 simulated hours
        assert httpx.get(url).status_code == 200
        now[0] += 0.2
        assert httpx.get(url).status_code == 410


def test_default_ttl_is_seven_days(result: tuple[str, bytes], shared: SimulatorThread) -> None:
    url, _ = result
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert shared.simulator is not None
    remaining = expires - shared.simulator.clock.now()
    assert 7 * 86400 - 3600 < remaining <= 7 * 86400  # minus the simulated time the module took


def test_head_gives_headers_without_a_body(result: tuple[str, bytes]) -> None:
    url, body = result
    response = httpx.head(url)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(body)) and response.content == b""


def test_a_client_leaving_mid_download_is_not_a_server_error(result: tuple[str, bytes],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    import socket

    url, body = result
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with caplog.at_level("DEBUG", logger="aiohttp"):
        for _ in range(3):
            with socket.create_connection((parts.hostname, parts.port)) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
                assert sock.recv(1024).startswith(b"HTTP/1.1 200")
            time.sleep(0.2)
        assert httpx.get(url).content == body  # still serving
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_no_last_frame_file_unless_asked(result: tuple[str, bytes]) -> None:
    url, _ = result  # rendered without return_last_frame
    response = httpx.get(url.replace("output.mp4", "last.png"))
    assert response.status_code == 404 and response.json()["code"] == 404
