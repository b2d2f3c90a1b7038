"""Hostile servers (issue 8), over real loopback HTTP against the simulator's fault kinds.

Each test names the issue-8 item it guards and the fault kind that reproduces it, so the
README's reliability table can be written from this file. Byte-level cases a server cannot
easily produce (a 2 GB Content-Length lie) use ``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.download import Limits, download_file
from seedance_desktop.api.errors import (
    ConfigurationError,
    DownloadStalledError,
    DownloadTooLargeError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ResultGoneError,
    ServerError,
    SubmitOutcomeUnknownError,
    UnexpectedContentError,
    UnsafeUrlError,
    ValidationError,
)
from seedance_desktop.api.spec import get_model
from seedance_desktop.api.tasks import SubmitResult, TaskInfo, TaskStatus
from seedance_desktop.api.validate import build_body
from seedance_desktop.simulator.faults import Fault
from seedance_desktop.simulator.launcher import SimulatorThread

SPEC = get_model("bytedance/seedance-2.0-fast-v2v")
T = TypeVar("T")

pytestmark = pytest.mark.timeout(90)


def run(sim: SimulatorThread, body: Callable[[ModellixClient], Awaitable[T]], *, key: str | None = None,
        **kwargs: Any) -> T:
    async def main() -> T:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
            client = ModellixClient(http, sim.base_url, key or sim.api_key, **kwargs)
            return await body(client)
    return asyncio.run(main())


def inject(sim: SimulatorThread, spec: str) -> None:
    assert sim.simulator is not None
    sim.simulator.inject(Fault.parse(spec))


def counts(sim: SimulatorThread) -> dict[str, int]:
    assert sim.simulator is not None
    return sim.simulator.request_counts()


def job_body(video_url: str, **extra: Any) -> dict[str, Any]:
    values = {"prompt": "Turn [Video 1] into a watercolour", "video_urls": [video_url],
              "resolution": "480p", "duration": 4, "ratio": "16:9", **extra}
    return build_body(SPEC, values)


async def poll(client: ModellixClient, task_id: str, limit: float = 30.0) -> TaskInfo:
    deadline = time.monotonic() + limit
    while True:
        try:
            info = await client.get_task(task_id)
        except (ServerError, RateLimitedError, NetworkError, ProtocolError):
            info = None
        if info is not None and info.status.is_final:
            return info
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} did not finish")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def video_url(sim_server: SimulatorThread, module_clip: Path) -> str:
    return run(sim_server, lambda c: c.upload_file(module_clip)).url


@pytest.fixture(scope="module")
def done_task(sim_server: SimulatorThread, video_url: str) -> str:
    """One succeeded task (with a last frame) shared by the result-side tests."""
    async def flow(client: ModellixClient) -> str:
        sub = await client.submit(SPEC, job_body(video_url, return_last_frame=True))
        await poll(client, sub.task_id)
        return sub.task_id
    return run(sim_server, flow)


def task(sim: SimulatorThread, task_id: str) -> TaskInfo:
    return run(sim, lambda c: c.get_task(task_id))


def fetch(sim: SimulatorThread, url: str, dest: Path, **kwargs: Any) -> Path:
    return download_file(url, dest, allowed_origin=sim.base_url, **kwargs).path


# -- item 1: a result URL that answers 403/404 for a while after success ------------------------

@pytest.mark.parametrize("status", [403, 404])
def test_item1_transient_403_404_on_result_url_is_gone_then_works(sim: SimulatorThread, done_task: str,
                                                                   tmp_path: Path, status: int) -> None:
    """Fault ``result:status=403|404,times=N`` (or ``for=SECONDS``): ResultGoneError, never final."""
    inject(sim, f"result:status={status},times=2")
    info = task(sim, done_task)
    assert info.video is not None
    for _ in range(2):
        with pytest.raises(ResultGoneError) as caught:
            fetch(sim, info.video.url, tmp_path / "o.mp4")
        assert caught.value.status == status and caught.value.retryable
    assert fetch(sim, info.video.url, tmp_path / "o.mp4").stat().st_size > 0


def test_item1_time_window_fault(sim: SimulatorThread, done_task: str, tmp_path: Path) -> None:
    """Fault ``result:status=403,for=SECONDS``: every request inside the window is hit (the
    window's end is tested without a server in test_hostile_unit)."""
    inject(sim, "result:status=403,for=60")
    info = task(sim, done_task)
    assert info.video is not None
    for _ in range(3):
        with pytest.raises(ResultGoneError):
            fetch(sim, info.video.url, tmp_path / "o.mp4")
    assert sim.simulator is not None
    sim.simulator.clear_faults()
    assert fetch(sim, info.video.url, tmp_path / "o.mp4").exists()


# -- item 2: a dead last-frame link ---------------------------------------------------------------

def test_item2_dead_last_frame_link_does_not_touch_the_video(sim: SimulatorThread, done_task: str, tmp_path: Path) -> None:
    """Fault ``task:dead_last_frame``: the extra image 404s; the video is chosen and downloads."""
    inject(sim, "task:dead_last_frame")
    info = task(sim, done_task)
    assert info.video is not None and info.video.kind == "video"
    dead = [r for r in info.candidates if r.kind == "image" and "missing" in r.url]
    assert dead, info.candidates
    with pytest.raises(ResultGoneError):
        fetch(sim, dead[0].url, tmp_path / "last.png")
    assert fetch(sim, info.video.url, tmp_path / "o.mp4", expect_kind="video").exists()


# -- item 3: untyped and bare-string resources ----------------------------------------------------

@pytest.mark.parametrize("fault", ["task:untyped", "task:untyped,option=bare", "task:string_resources"])
def test_item3_untyped_and_string_resources_still_yield_the_video(sim: SimulatorThread, done_task: str,
                                                                  tmp_path: Path, fault: str) -> None:
    inject(sim, fault)
    info = task(sim, done_task)
    assert info.status is TaskStatus.SUCCESS
    assert info.video is not None and info.video.kind == "video"  # by format, else the .mp4 path
    assert info.last_frame is not None and info.last_frame.kind == "image"
    assert fetch(sim, info.video.url, tmp_path / "o.mp4", expect_kind="video").stat().st_size > 0


# -- item 4: bodies that are not the video ---------------------------------------------------------

@pytest.mark.parametrize("variant", ["html", "zip", "empty", "gzip", "cut"])
def test_item4_non_video_bodies_are_never_saved_as_the_video(sim: SimulatorThread, done_task: str,
                                                             tmp_path: Path, variant: str) -> None:
    """Fault ``result:body,option=html|zip|empty|gzip|cut``: UnexpectedContentError, no file."""
    inject(sim, f"result:body,option={variant}")
    info = task(sim, done_task)
    assert info.video is not None
    dest = tmp_path / "o.mp4"
    with pytest.raises(UnexpectedContentError):
        fetch(sim, info.video.url, dest, expect_kind="video")
    assert not dest.exists()
    # The next, healthy attempt completes (resuming the kept prefix of a cut body).
    assert fetch(sim, info.video.url, dest, expect_kind="video").exists()


# -- item 5: refusals that carry a task id ----------------------------------------------------------

@pytest.mark.parametrize("fault", ["submit:refuse_with_task,status=429",
                                   "submit:refuse_with_task,status=429,http_status=200",
                                   "submit:refuse_with_task,status=503"])
def test_item5_refusal_with_task_id_is_a_task_to_track(sim: SimulatorThread, video_url: str, fault: str) -> None:
    inject(sim, fault)
    assert sim.simulator is not None
    before = set(sim.simulator.tasks())
    result = run(sim, lambda c: c.submit(SPEC, job_body(video_url)))
    assert isinstance(result, SubmitResult) and result.refused
    created = set(sim.simulator.tasks()) - before
    assert created == {result.task_id} and counts(sim)["submit"] == 1


# -- item 6: outcome unknown, never re-POSTed -------------------------------------------------------

@pytest.mark.parametrize("status", [408, 409, 418])
def test_item6_408_409_other_4xx_are_outcome_unknown(sim: SimulatorThread, video_url: str, status: int) -> None:
    inject(sim, f"submit:status={status}")
    with pytest.raises(SubmitOutcomeUnknownError):
        run(sim, lambda c: c.submit(SPEC, job_body(video_url)))
    assert counts(sim)["submit"] == 1


# -- item 8: hostile retry hints ---------------------------------------------------------------------

@pytest.mark.parametrize("fault", [
    "task:status=429,retry_after=inf", "task:status=429,retry_after=1e18", "task:status=429,retry_after=-5",
    "task:status=429,retry_after=nan", "task:status=429,retry_after=Fri 31 Dec 9999 23:59:59 GMT",
    "task:status=429,retry_after=Thu 01 Jan 1970 00:00:00 GMT", "task:status=429,reset=1e9",
    "task:status=429,reset_raw=1e18", "task:status=429,reset=-100000", "task:status=503,retry_after=inf",
    "task:status=503,retry_after=1e18",
])
def test_item8_every_retry_hint_is_clamped(sim: SimulatorThread, done_task: str, fault: str) -> None:
    inject(sim, fault)
    with pytest.raises((RateLimitedError, ServerError)) as caught:
        task(sim, done_task)
    hint = getattr(caught.value, "retry_after")
    if "nan" in fault:
        assert hint is None or 1.0 <= hint <= 600.0
    else:
        assert hint is not None and 1.0 <= hint <= 600.0
    assert counts(sim)["task"] == 1


# -- item 9: answers and links that used to loop forever ----------------------------------------------

def test_item9_deep_json_answer_is_a_protocol_error(sim: SimulatorThread, done_task: str) -> None:
    """Fault ``task:deep_json,depth=600``: refused before parsing, nothing recurses."""
    inject(sim, "task:deep_json,depth=600")
    with pytest.raises(ProtocolError):
        task(sim, done_task)


@pytest.mark.parametrize("location", [
    "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/x",
    "javascript:alert(1)", "data:text/html;base64", "http://localhost:{port}{path}",
    "https://10.0.0.5/out.mp4", "http://example.com/out.mp4", "ftp://example.com/out.mp4",
])
def test_item9_12_redirects_to_other_schemes_or_private_hosts_are_final(sim: SimulatorThread, done_task: str,
                                                                       tmp_path: Path, location: str) -> None:
    """Fault ``result:redirect,location=...``: UnsafeUrlError (not retryable), nothing written."""
    inject(sim, f"result:redirect,location={location}")
    info = task(sim, done_task)
    assert info.video is not None
    with pytest.raises(UnsafeUrlError) as caught:
        fetch(sim, info.video.url, tmp_path / "o.mp4")
    assert not caught.value.retryable and not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize("option", ["javascript:alert(1)", "file:///etc/passwd", "data:video/mp4;base64",
                                    "{path}", "http://example.com{path}", "https://169.254.169.254{path}"])
def test_item9_12_unsafe_result_urls_in_the_task_answer(sim: SimulatorThread, done_task: str, option: str) -> None:
    """Fault ``task:result_url,option=...``: the video resource is refused (``TaskInfo.unsafe``,
    final), the optional last frame is still offered, nothing unsafe becomes ``video``."""
    inject(sim, f"task:result_url,option={option}")
    info = task(sim, done_task)
    assert info.status is TaskStatus.SUCCESS
    assert info.video is None and len(info.unsafe) == 1 and not info.unsafe[0].retryable
    assert info.last_frame is not None


def test_item9_redirect_on_the_same_origin_is_followed(sim: SimulatorThread, done_task: str, tmp_path: Path) -> None:
    inject(sim, "result:redirect,location={path}")
    info = task(sim, done_task)
    assert info.video is not None
    assert fetch(sim, info.video.url, tmp_path / "o.mp4", expect_kind="video").exists()
    assert counts(sim)["result"] == 2


def test_item9_trickling_body_ends_on_minimum_rate(sim: SimulatorThread, done_task: str, tmp_path: Path) -> None:
    """Fault ``result:trickle,rate=200``: DownloadStalledError below the minimum rate."""
    inject(sim, "result:trickle,rate=200")
    info = task(sim, done_task)
    assert info.video is not None
    with pytest.raises(DownloadStalledError):
        fetch(sim, info.video.url, tmp_path / "o.mp4", limits=Limits(min_rate=50_000, rate_window=0.5))


def test_item9_trickling_body_ends_on_overall_deadline(sim: SimulatorThread, done_task: str, tmp_path: Path) -> None:
    inject(sim, "result:trickle,rate=100000")
    info = task(sim, done_task)
    assert info.video is not None
    with pytest.raises(DownloadStalledError):
        fetch(sim, info.video.url, tmp_path / "o.mp4", limits=Limits(deadline=0.3, min_rate=0.0))


def test_item9_trickling_json_answer_ends_on_the_answer_deadline(sim: SimulatorThread, done_task: str) -> None:
    inject(sim, "task:trickle,rate=20")
    with pytest.raises(NetworkError):
        run(sim, lambda c: c.get_task(done_task), answer_deadline=0.5)


def test_item9_content_length_lie_refused_before_reading(tmp_path: Path) -> None:
    """Byte level (MockTransport): a 2 GB Content-Length is refused without reading a byte."""
    read: list[int] = []

    class Body(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            read.append(1)
            yield b"\0" * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(2 * 1024 ** 3)}, stream=Body())
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(DownloadTooLargeError) as caught:
            download_file("https://files.example.com/o.mp4", tmp_path / "o.mp4", client=http)
    assert not caught.value.retryable and read == []
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(DownloadTooLargeError):  # the task's size is the cap when given
            download_file("https://files.example.com/o.mp4", tmp_path / "o.mp4", client=http, expected_size=5000)


def test_item9_body_growing_past_the_cap_is_stopped(sim: SimulatorThread, done_task: str, tmp_path: Path) -> None:
    info = task(sim, done_task)
    assert info.video is not None
    with pytest.raises(DownloadTooLargeError):
        fetch(sim, info.video.url, tmp_path / "o.mp4", limits=Limits(max_bytes=10_000))
    assert not (tmp_path / "o.mp4").exists() and not (tmp_path / "o.mp4.part").exists()


# -- item 10: endless answers ---------------------------------------------------------------------

def test_item10_endless_json_answer_stops_at_the_cap(sim: SimulatorThread, done_task: str) -> None:
    """Fault ``task:huge_json``: the read stops at the cap (ProtocolError), memory stays bounded."""
    inject(sim, "task:huge_json")
    with pytest.raises(ProtocolError):
        run(sim, lambda c: c.get_task(done_task), max_answer_bytes=256 * 1024)


def test_item10_endless_answer_to_submit_is_outcome_unknown(sim: SimulatorThread, video_url: str) -> None:
    inject(sim, "submit:huge_json")
    with pytest.raises(SubmitOutcomeUnknownError):
        run(sim, lambda c: c.submit(SPEC, job_body(video_url)), max_answer_bytes=256 * 1024)
    assert counts(sim)["submit"] == 1


# -- item 11: requests that cannot be sent ------------------------------------------------------------

@pytest.mark.parametrize("field", ["prompt", "video_urls"])
def test_item11_lone_surrogate_is_a_validation_error_before_sending(sim: SimulatorThread, video_url: str,
                                                                    field: str) -> None:
    body = job_body(video_url)
    body[field] = "a watercolour \ud83d" if field == "prompt" else [video_url + "\udc00"]
    with pytest.raises(ValidationError) as caught:
        run(sim, lambda c: c.submit(SPEC, body))
    assert not isinstance(caught.value, SubmitOutcomeUnknownError)
    assert [e.field for e in caught.value.field_errors] == [field]
    assert counts(sim).get("submit", 0) == 0


@pytest.mark.parametrize("key", ["sk-ключ-1234", "sk-abc\r\nX-Evil: 1", "sk-abc\ndef", "sk-a b", "sk-\x00abc"])
def test_item11_unsendable_key_is_a_configuration_error(sim: SimulatorThread, key: str) -> None:
    with pytest.raises(ConfigurationError):
        run(sim, lambda c: c.validate_key(), key=key)
    assert counts(sim).get("validate", 0) == 0


# -- item 13: no signed query reaches what the engine stores -------------------------------------------

def test_item13_poll_url_is_kept_without_its_query(sim: SimulatorThread, video_url: str) -> None:
    result = run(sim, lambda c: c.submit(SPEC, job_body(video_url)))
    assert result.result_url is not None and "?" not in result.result_url


# -- item 15: first contact -----------------------------------------------------------------------------

@pytest.mark.parametrize("status", [404, 405])
def test_item15_no_suffix_path_missing_falls_back_to_async_once_and_remembers(
        sim: SimulatorThread, video_url: str, status: int) -> None:
    """Fault ``submit_plain:status=404|405,times=-1``."""
    inject(sim, f"submit_plain:status={status},times=-1")

    async def twice(client: ModellixClient) -> tuple[SubmitResult, SubmitResult]:
        return await client.submit(SPEC, job_body(video_url)), await client.submit(SPEC, job_body(video_url))
    first, second = run(sim, twice)
    assert first.task_id != second.task_id
    seen = counts(sim)
    assert seen["submit_plain"] == 1 and seen["submit_async"] == 2 and seen["submit"] == 3


def test_item15_no_suffix_path_is_tried_first(sim: SimulatorThread, video_url: str) -> None:
    run(sim, lambda c: c.submit(SPEC, job_body(video_url)))
    assert counts(sim).get("submit_plain") == 1 and counts(sim).get("submit_async", 0) == 0


def test_item15_both_paths_missing_is_not_found(sim: SimulatorThread, video_url: str) -> None:
    inject(sim, "submit_plain:status=404,times=-1")
    inject(sim, "submit_async:status=404,times=-1")
    with pytest.raises(NotFoundError):
        run(sim, lambda c: c.submit(SPEC, job_body(video_url)))
    assert counts(sim)["submit"] == 2


@pytest.mark.parametrize("mode", ["other", "missing", "blank"])
def test_item15_task_id_mismatch_is_a_retryable_protocol_error(sim: SimulatorThread, done_task: str, mode: str) -> None:
    """Fault ``task:task_id,mode=other|missing|blank``."""
    inject(sim, f"task:task_id,mode={mode}")
    with pytest.raises(ProtocolError) as caught:
        task(sim, done_task)
    assert caught.value.retryable
    assert task(sim, done_task).task_id == done_task


def test_item15_models_without_envelope_and_validate_is_valid_false(sim: SimulatorThread) -> None:
    models = run(sim, lambda c: c.list_models())
    assert {m["slug"] for m in models} >= {SPEC.slug}
    assert run(sim, lambda c: c.validate_key()) is True
    assert run(sim, lambda c: c.validate_key(), key="sk-wrong-key-123") is False  # HTTP 200, is_valid false
    inject(sim, "validate:status=401")
    assert run(sim, lambda c: c.validate_key()) is False
