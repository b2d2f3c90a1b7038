"""ModellixClient against the simulator over real loopback HTTP: every endpoint, every fault.

Each fault test asserts the error class *and* the retry decision, through the simulator's
per-endpoint request counts (e.g. exactly one POST after a dropped connection).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import av
import httpx
import pytest

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.download import download_file, download_with_retries, part_path
from seedance_desktop.api.errors import (
    AuthenticationError,
    ConnectError,
    DownloadError,
    NetworkError,
    InsufficientBalanceError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ResultGoneError,
    ServerError,
    SubmitOutcomeUnknownError,
    ValidationError,
)
from seedance_desktop.api.redact import install_log_redaction
from seedance_desktop.api.spec import get_model
from seedance_desktop.api.tasks import SubmitResult, TaskInfo, TaskStatus
from seedance_desktop.api.validate import build_body
from seedance_desktop.simulator.faults import Fault, FaultKind
from seedance_desktop.simulator.launcher import SimulatorThread

SPEC = get_model("bytedance/seedance-2.0-fast-v2v")
T = TypeVar("T")

pytestmark = pytest.mark.timeout(60)


class Harness:
    """Runs one coroutine with a fresh AsyncClient + ModellixClient; records sleeps and 429 hooks."""

    def __init__(self, sim: SimulatorThread, *, read_timeout: float = 5.0, key: str | None = None,
                 get_attempts: int = 4) -> None:
        self.sim = sim
        self.read_timeout = read_timeout
        self.key = key or sim.api_key
        self.get_attempts = get_attempts
        self.sleeps: list[float] = []
        self.rate_limited: list[float] = []

    def run(self, body: Callable[[ModellixClient], Awaitable[T]]) -> T:
        async def fake_sleep(delay: float) -> None:
            self.sleeps.append(delay)

        async def main() -> T:
            timeout = httpx.Timeout(5.0, read=self.read_timeout)
            async with httpx.AsyncClient(timeout=timeout) as http:
                client = ModellixClient(http, self.sim.base_url, self.key)
                return await body(client)

        return asyncio.run(main())

    def counts(self) -> dict[str, int]:
        assert self.sim.simulator is not None
        return self.sim.simulator.request_counts()


def inject(sim: SimulatorThread, spec: str | Fault) -> None:
    assert sim.simulator is not None
    sim.simulator.inject(Fault.parse(spec) if isinstance(spec, str) else spec)


@pytest.fixture(scope="module")
def video_url(sim_server: SimulatorThread, module_clip: Path) -> str:
    uploaded = Harness(sim_server).run(lambda c: c.upload_file(module_clip))
    return uploaded.url


def job_body(video_url: str, **extra: Any) -> dict[str, Any]:
    values = {"prompt": "Turn [Video 1] into a watercolour", "video_urls": [video_url],
              "resolution": "480p", "duration": 4, "ratio": "16:9", **extra}
    return build_body(SPEC, values)


async def wait_final(client: ModellixClient, sub: SubmitResult, limit: float = 20.0) -> TaskInfo:
    """Poll until final, retrying retryable errors (as the engine's policy does)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            info = await client.get_task(sub.task_id, sub.result_url)
        except (ServerError, RateLimitedError, NetworkError, ProtocolError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        if info.status.is_final or time.monotonic() > deadline:
            return info
        await asyncio.sleep(0.1)


async def submit_and_wait(client: ModellixClient, body: dict[str, Any]) -> TaskInfo:
    return await wait_final(client, await client.submit(SPEC, body))


# -- every endpoint ---------------------------------------------------------------------------

def test_full_job_both_submit_paths_and_verified_download(sim: SimulatorThread, video_url: str, tmp_path: Path) -> None:
    h = Harness(sim)
    no_suffix = dataclasses.replace(SPEC, submit_path="/api/v1/bytedance/seedance-2.0-fast-v2v")

    async def flow(client: ModellixClient) -> tuple[TaskInfo, TaskInfo]:
        first = await submit_and_wait(client, job_body(video_url, return_last_frame=True))
        sub = await client.submit(no_suffix, job_body(video_url, ratio="9:16"))
        return first, await wait_final(client, sub)

    first, second = h.run(flow)
    assert h.counts()["submit"] == 2
    for info in (first, second):
        assert info.status is TaskStatus.SUCCESS and info.video is not None
        assert info.billing_amount == pytest.approx(0.069 * 4)
    assert first.last_frame is not None and second.last_frame is None
    result = download_file(first.video.url, tmp_path / "out.mp4")
    assert sim.simulator is not None
    record = sim.simulator.tasks()[first.task_id]
    assert result.sha256 == record.video_sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    with av.open(str(result.path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (first.video.width, first.video.height)
        assert (stream.codec_context.width, stream.codec_context.height) == (854, 480)  # 480p at 16:9
        assert float(container.duration / av.time_base) == pytest.approx(4.0, abs=0.1)


def test_upload_validate_balance_models(sim: SimulatorThread, module_clip: Path) -> None:
    h = Harness(sim)
    progress: list[tuple[int, int]] = []

    async def flow(client: ModellixClient) -> tuple[Any, ...]:
        up = await client.upload_file(module_clip, progress=lambda a, b: progress.append((a, b)))
        return up, await client.validate_key(), await client.balance(), await client.list_models()

    up, valid, balance, models = h.run(flow)
    size = module_clip.stat().st_size
    assert up.size == size and up.filename == "clip.mp4" and up.url.startswith(sim.base_url)
    assert progress[-1] == (size, size)
    assert httpx.get(up.url).content == module_clip.read_bytes()
    assert valid is True and isinstance(balance, float)
    assert "bytedance/seedance-2.0-fast-v2v" in {m["slug"] for m in models}
    assert {k: h.counts()[k] for k in ("upload", "validate", "balance", "models")} == dict.fromkeys(
        ("upload", "validate", "balance", "models"), 1)


def test_wrong_key(sim: SimulatorThread) -> None:
    h = Harness(sim, key="sk-wrong-key-000")
    assert h.run(lambda c: c.validate_key()) is False
    with pytest.raises(AuthenticationError):
        h.run(lambda c: c.balance())
    assert h.counts()["balance"] == 1  # 401 is never retried


def test_unknown_task_is_not_found_without_retry(sim: SimulatorThread) -> None:
    h = Harness(sim)
    with pytest.raises(NotFoundError):
        h.run(lambda c: c.get_task("task-does-not-exist"))
    assert h.counts()["task"] == 1


def test_server_side_400_names_the_field(sim: SimulatorThread, video_url: str) -> None:
    h = Harness(sim)
    with pytest.raises(ValidationError) as caught:
        h.run(lambda c: c.submit(SPEC, {"prompt": "x", "video_urls": [video_url], "duration": 99}))
    assert [f.field for f in caught.value.field_errors] == ["duration"]
    assert h.counts()["submit"] == 1


def test_insufficient_balance(video_url: str, simulator_factory: Callable[..., SimulatorThread]) -> None:
    poor = simulator_factory(balance=0.01)
    with pytest.raises(InsufficientBalanceError):
        Harness(poor).run(lambda c: c.submit(SPEC, job_body(video_url)))
    assert poor.simulator is not None and poor.simulator.tasks() == {}


def test_upload_quota_429(module_clip: Path, simulator_factory: Callable[..., SimulatorThread]) -> None:
    small = simulator_factory(upload_quota=1)
    h = Harness(small)
    h.run(lambda c: c.upload_file(module_clip))
    with pytest.raises(RateLimitedError) as caught:
        h.run(lambda c: c.upload_file(module_clip))
    assert "delete old uploads" in caught.value.user_message
    assert h.counts()["upload"] == 2


def test_connect_error_when_nothing_listens() -> None:
    async def main() -> None:
        async with httpx.AsyncClient(timeout=2.0) as http:
            client = ModellixClient(http, "http://127.0.0.1:9", "sk-key-1234")
            await client.submit(SPEC, {"prompt": "x", "video_urls": ["https://h/v.mp4"]})
    with pytest.raises(ConnectError):
        asyncio.run(main())


# -- faults: submit ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fault", "retry_at_offset"), [
    ("submit:status=429,retry_after=2", 2.0),
    ("submit:status=429,reset=5", 5.0),
    ("submit:status=429", None),
])
def test_submit_429_variants(sim: SimulatorThread, video_url: str, fault: str, retry_at_offset: float | None) -> None:
    inject(sim, fault)
    h = Harness(sim)
    before = time.time()
    with pytest.raises(RateLimitedError) as caught:
        h.run(lambda c: c.submit(SPEC, job_body(video_url)))
    if retry_at_offset is None:
        assert caught.value.retry_at is None
    else:
        assert caught.value.retry_at == pytest.approx(before + retry_at_offset, abs=1.5)
    assert h.counts()["submit"] == 1
    assert sim.simulator is not None and sim.simulator.tasks() == {} or all(
        t.submitted_at < before for t in sim.simulator.tasks().values())


@pytest.mark.parametrize("fault", [
    "submit:status=500", "submit:status=503", "submit:html=502", "submit:html=500", "submit:html=503",
    "submit:drop", "submit:drop,create_task=false", "submit:malformed_json",
])
def test_submit_outcome_unknown_never_reposted(sim: SimulatorThread, video_url: str, fault: str) -> None:
    inject(sim, fault)
    h = Harness(sim)
    with pytest.raises(SubmitOutcomeUnknownError):
        h.run(lambda c: c.submit(SPEC, job_body(video_url)))
    assert h.counts()["submit"] == 1


def test_submit_slow_past_timeout_is_unknown_and_task_exists(sim: SimulatorThread, video_url: str) -> None:
    inject(sim, "submit:slow,delay=8")  # the client gives up after 0.4 s; room for a busy machine
    assert sim.simulator is not None
    before = set(sim.simulator.tasks())
    h = Harness(sim, read_timeout=0.4)
    started = time.monotonic()
    with pytest.raises(SubmitOutcomeUnknownError):
        h.run(lambda c: c.submit(SPEC, job_body(video_url)))
    assert time.monotonic() - started < 6
    assert h.counts()["submit"] == 1
    assert len(set(sim.simulator.tasks()) - before) == 1  # the dangerous case: it was accepted


# -- faults: GET ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def finished_task(sim_server: SimulatorThread, video_url: str) -> SubmitResult:
    """One succeeded task shared by the module's GET and download fault tests."""
    sim = sim_server
    h = Harness(sim)

    async def flow(client: ModellixClient) -> SubmitResult:
        sub = await client.submit(SPEC, job_body(video_url))
        await wait_final(client, sub)
        return sub
    return h.run(flow)


@pytest.mark.parametrize("fault", [
    "task:status=500", "task:status=503", "task:html=502", "task:html=500", "task:status=429",
    "task:status=429,retry_after=1", "task:status=429,reset=1", "task:drop", "task:malformed_json",
    "task:status=408",
])
def test_get_task_one_attempt_typed_retryable_error(sim: SimulatorThread, finished_task: SubmitResult, fault: str) -> None:
    """One GET retry layer (issue 7 item 3): the client makes exactly one attempt and says
    whether (and after how long) trying again makes sense; the engine's policy retries."""
    inject(sim, fault)
    h = Harness(sim)
    with pytest.raises((ServerError, RateLimitedError, NetworkError, ProtocolError)) as caught:
        h.run(lambda c: c.get_task(finished_task.task_id, finished_task.result_url))
    assert caught.value.retryable and h.counts()["task"] == 1
    if "retry_after=1" in fault or "reset=1" in fault:
        assert isinstance(caught.value, RateLimitedError) and caught.value.retry_after is not None
        assert 1.0 <= caught.value.retry_after <= 2.0
    info = h.run(lambda c: c.get_task(finished_task.task_id, finished_task.result_url))
    assert info.status is TaskStatus.SUCCESS and h.counts()["task"] == 2


def test_get_task_slow_past_timeout_is_one_network_error(sim: SimulatorThread, finished_task: SubmitResult) -> None:
    inject(sim, "task:slow,delay=3")
    h = Harness(sim, read_timeout=0.4)
    with pytest.raises(NetworkError):
        h.run(lambda c: c.get_task(finished_task.task_id))
    assert h.counts()["task"] == 1


@pytest.mark.parametrize("endpoint", ["validate", "balance", "models"])
def test_small_gets_make_one_attempt(sim: SimulatorThread, endpoint: str) -> None:
    inject(sim, f"{endpoint}:html=503")
    h = Harness(sim)
    method = {"validate": "validate_key", "balance": "balance", "models": "list_models"}[endpoint]
    with pytest.raises(ServerError):
        h.run(lambda c: getattr(c, method)())
    assert h.run(lambda c: getattr(c, method)())
    assert h.counts()[endpoint] == 2


# -- faults: task outcome and result files ---------------------------------------------------

def test_failed_task_carries_reason(sim: SimulatorThread, video_url: str) -> None:
    inject(sim, Fault("submit", FaultKind.FAIL_TASK, message="OutputVideoSensitiveContentDetected: try another prompt"))
    info = Harness(sim).run(lambda c: submit_and_wait(c, job_body(video_url)))
    assert info.status is TaskStatus.FAILED and info.video is None
    assert info.error_message is not None and "OutputVideoSensitiveContentDetected" in info.error_message


def test_truncated_download_resumes_and_verifies(sim: SimulatorThread, finished_task: SubmitResult, tmp_path: Path) -> None:
    h = Harness(sim)
    info = h.run(lambda c: c.get_task(finished_task.task_id))
    assert info.video is not None and sim.simulator is not None
    inject(sim, "result:truncate,after_bytes=100000")
    dest = tmp_path / "out.mp4"
    with pytest.raises(DownloadError) as caught:
        download_file(info.video.url, dest)
    assert not isinstance(caught.value, ResultGoneError)
    assert part_path(dest).stat().st_size == 100_000 and not dest.exists()
    result = download_file(info.video.url, dest)
    record = sim.simulator.tasks()[finished_task.task_id]
    assert result.resumed_from == 100_000 and result.size == record.video_size
    assert result.sha256 == record.video_sha256
    assert sim.simulator.request_counts()["result"] == 2


def test_download_with_retries_survives_two_cuts(sim: SimulatorThread, finished_task: SubmitResult, tmp_path: Path) -> None:
    info = Harness(sim).run(lambda c: c.get_task(finished_task.task_id))
    assert info.video is not None and sim.simulator is not None
    inject(sim, "result:truncate,after_bytes=50000,times=2")
    result = download_with_retries(info.video.url, tmp_path / "o.mp4", sleep=lambda s: None)
    assert result.sha256 == sim.simulator.tasks()[finished_task.task_id].video_sha256
    assert sim.simulator.request_counts()["result"] == 3


def test_expired_result_url_then_fresh_url_works(sim: SimulatorThread, finished_task: SubmitResult, tmp_path: Path) -> None:
    h = Harness(sim)
    old = h.run(lambda c: c.get_task(finished_task.task_id))
    assert old.video is not None
    inject(sim, "result:expire_result")
    with pytest.raises(ResultGoneError) as caught:
        download_file(old.video.url, tmp_path / "o.mp4")
    assert caught.value.status in (403, 410)
    with pytest.raises(ResultGoneError):  # the old URL stays dead
        download_with_retries(old.video.url, tmp_path / "o.mp4", sleep=lambda s: None)
    fresh = h.run(lambda c: c.get_task(finished_task.task_id))
    assert fresh.video is not None and fresh.video.url != old.video.url
    assert download_file(fresh.video.url, tmp_path / "o.mp4").size > 0


# -- logs -------------------------------------------------------------------------------------

def test_logs_never_contain_key_or_signed_query(sim: SimulatorThread, video_url: str, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction([sim.api_key])
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):  # even if someone turns the chatty loggers back on
        caplog.set_level(logging.DEBUG, logger=name)
    inject(sim, "task:status=429,retry_after=1")
    inject(sim, "result:truncate,after_bytes=30000")
    h = Harness(sim)
    info = h.run(lambda c: submit_and_wait(c, job_body(video_url)))
    assert info.video is not None
    download_with_retries(info.video.url, tmp_path / "o.mp4", sleep=lambda s: None)
    with pytest.raises(AuthenticationError):
        Harness(sim, key=sim.api_key + "x").run(lambda c: c.balance())
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records, "the flow should have logged something"
    assert sim.api_key not in text
    assert "signature=" not in text and "expires=" not in text


# -- upload cancel and size limit over real HTTP ---------------------------------------------

def test_upload_cancelled_mid_stream(sim: SimulatorThread, tmp_path: Path) -> None:
    from seedance_desktop.api.errors import UploadCancelled
    from seedance_desktop.api.upload import upload_sync

    path = tmp_path / "big.mp4"
    path.write_bytes(b"\0" * (2 * 1024 * 1024))
    cancel = threading.Event()
    seen: list[int] = []

    def progress(sent: int, total: int) -> None:
        seen.append(sent)
        cancel.set()  # the person presses Cancel after the first chunk went out

    with pytest.raises(UploadCancelled):
        upload_sync(f"{sim.base_url}/api/v1/media/files", path, headers={"Authorization": f"Bearer {sim.api_key}"},
                    size=path.stat().st_size, progress=progress, cancel=cancel)
    assert seen and seen[-1] < path.stat().st_size
    assert sim.simulator is not None
    assert all(r.filename != "big.mp4" for r in sim.simulator.files().values())


def test_upload_over_16_mib_never_sent(simulator_factory: Callable[..., SimulatorThread], tmp_path: Path) -> None:
    # A simulator of its own: the shared one may still be counting an upload cancelled by the
    # previous test, which would make this count flaky.
    sim = simulator_factory()
    path = tmp_path / "huge.mp4"
    with path.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)
    with pytest.raises(ValidationError) as caught:
        Harness(sim).run(lambda c: c.upload_file(path))
    assert "16 MiB" in caught.value.user_message
    assert sim.simulator is not None and "upload" not in sim.simulator.request_counts()


def test_list_and_delete_uploaded_files(module_clip: Path, simulator_factory: Callable[..., SimulatorThread]) -> None:
    server = simulator_factory(upload_quota=2)
    h = Harness(server)

    async def flow(client: ModellixClient) -> list[str]:
        first = await client.upload_file(module_clip)
        await client.upload_file(module_clip)
        listed = await client.list_files()
        await client.delete_file(first.file_id)
        await client.upload_file(module_clip)  # the quota has room again
        with pytest.raises(NotFoundError):
            await client.delete_file(first.file_id)
        return [f.file_id for f in listed]

    listed = h.run(flow)
    assert len(listed) == 2
    assert h.counts()["files_delete"] == 2 and h.counts()["upload"] == 3
