"""Issue 8, "a paid result is lost or made to look lost" (items 1-4), and the download parts of
items 9, 12 and 13: real engine, real loopback HTTP, the simulator's fault kinds. Each test fails
if the behaviour it names regresses."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from engine_harness import MODEL, Rig, engine_rig, hosted_url, local_input, request_for, sha256, states
from seedance_desktop.api.download import Limits, download_file
from seedance_desktop.api.errors import UnsafeUrlError
from seedance_desktop.api.tasks import UNKNOWN, Resource, TaskInfo
from seedance_desktop.core.engine.allowed import Action
from seedance_desktop.core.engine.runner import sendable_upload_url, stored_upload_url
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.outputs import sidecar_path
from seedance_desktop.simulator.faults import Fault, FaultKind

S = JobState
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def hosted(simulator: Any, clip: Path) -> str:
    return hosted_url(simulator.base_url, simulator.api_key, clip)


def _reasons(rig: Rig, job_id: str) -> str:
    return " | ".join(t.reason for t in rig.store.get(job_id).history)


def _check_file(simulator: Any, job: Job) -> None:
    record = simulator.simulator.tasks()[job.task_id]
    assert job.video_path and sha256(job.video_path) == record.video_sha256


def _no_paid_rerun_advice(job: Job) -> None:
    """No reason on a job whose result exists advises a paid re-run."""
    for transition in job.history:
        text = transition.reason.lower()
        assert "retry" not in text and "submit again" not in text and "run it again" not in text, transition.reason


async def _run(rig: Rig, url: str, timeout: float = 40.0, **extra: Any) -> Job:
    job = rig.engine.enqueue(MODEL, request_for("download faults", url, **extra), [])
    return await asyncio.wait_for(rig.engine.wait_for(job.id), timeout)


# ------------------------------------------------------------------ item 1: 403/404 right after success


@pytest.mark.parametrize("status", [403, 404])
def test_item1_result_link_gone_for_a_second_is_ridden_out(tmp_path: Path, simulator: Any, hosted: str,
                                                           status: int) -> None:
    """Every result GET answers 403/404 for 1 s of real time (20 s of service time at this
    scale): the engine backs off and refetches the task until the link works, then DONE."""
    simulator.simulator.inject(Fault("result", FaultKind.STATUS, status=status, duration=1.0, times=-1))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, time_scale=20.0) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.DONE, _reasons(rig, job.id)
            _check_file(simulator, job)
            assert S.EXPIRED not in states(rig, job.id)
            counts = simulator.simulator.request_counts()
            assert counts["result"] >= 3 and counts["submit"] == 1

    asyncio.run(main())


def test_item1_expired_stays_recoverable_and_never_advises_a_paid_rerun(tmp_path: Path, simulator: Any,
                                                                        hosted: str) -> None:
    """Links dead for good: EXPIRED only after minutes (scaled) of refetches, with 'Download
    again' offered and advised; retry and download again fetch the same paid result."""
    simulator.simulator.inject(Fault("result", FaultKind.EXPIRE_RESULT, status=404, times=-1))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, time_scale=60.0) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.EXPIRED
            assert "Download again" in (job.error or "")
            _no_paid_rerun_advice(job)
            assert simulator.simulator.request_counts()["result"] >= 4  # refetched, not given up at once
            assert Action.REDOWNLOAD in rig.engine.allowed_actions(job.id)
            from seedance_desktop.cli.output import next_step_hint

            hint = next_step_hint(job)
            assert "download" in hint and "retry" not in hint
            simulator.simulator.clear_faults()
            again = rig.engine.retry(job.id)  # not a new paid attempt: the same job fetches again
            assert again.id == job.id and again.state is S.DOWNLOADING
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 30)
            assert done.state is S.DONE
            _check_file(simulator, done)
            assert simulator.simulator.request_counts()["submit"] == 1 and len(rig.store.list()) == 1

    asyncio.run(main())


# ------------------------------------------------------------------ item 2: the last frame is optional


def test_item2_dead_last_frame_is_a_note_on_a_done_job(tmp_path: Path, simulator: Any, hosted: str) -> None:
    simulator.simulator.inject(Fault("task", FaultKind.DEAD_LAST_FRAME, times=-1))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.DONE and job.error is None, _reasons(rig, job.id)
            _check_file(simulator, job)
            assert "last frame" in job.history[-1].reason
            assert job.last_frame_path is None
            assert sidecar_path(str(job.video_path)).is_file()
            assert S.EXPIRED not in states(rig, job.id) and S.FAILED not in states(rig, job.id)

    asyncio.run(main())


def test_item2_unsafe_last_frame_link_is_a_note_too(tmp_path: Path, simulator: Any, hosted: str) -> None:
    """'Anything' wrong with the last frame (here: its link refused as unsafe) is a note."""

    def downloader(url: str, dest: Path, **kwargs: Any) -> Any:
        if kwargs.get("expect_kind") == "image":
            raise UnsafeUrlError("unsafe last-frame URL", user_message="Modellix sent a last-frame link the app "
                                                                        "will not open (scheme 'file' is not https)")
        return download_file(url, dest, **kwargs)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, downloader=downloader) as rig:
            job = await _run(rig, hosted, return_last_frame=True)
            assert job.state is S.DONE and job.error is None, _reasons(rig, job.id)
            _check_file(simulator, job)
            assert "last frame" in job.history[-1].reason and job.last_frame_path is None
            assert sidecar_path(str(job.video_path)).is_file()

    asyncio.run(main())


# ------------------------------------------------------------------ item 3: untyped and bare resources


@pytest.mark.parametrize(
    "fault",
    [Fault("task", FaultKind.UNTYPED, times=-1), Fault("task", FaultKind.UNTYPED, option="bare", times=-1),
     Fault("task", FaultKind.STRING_RESOURCES, times=-1)],
    ids=["untyped", "untyped-bare", "strings"],
)
def test_item3_untyped_or_string_resources_are_downloaded(tmp_path: Path, simulator: Any, hosted: str,
                                                          fault: Fault) -> None:
    simulator.simulator.inject(fault)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted, return_last_frame=True)
            assert job.state is S.DONE, _reasons(rig, job.id)
            _check_file(simulator, job)
            assert "no video" not in _reasons(rig, job.id)

    asyncio.run(main())


class _UnknownKinds:
    """The client, but every resource of a task answer is of unknown kind (no type, no format,
    no extension: what a bare URL string without extension parses to), the last-frame PNG
    listed first, so the first candidate's bytes are not a video."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.base_url = inner.base_url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get_task(self, task_id: str, url: str | None = None) -> TaskInfo:
        info: TaskInfo = await self._inner.get_task(task_id, url)
        if info.video is None or info.last_frame is None:
            return info
        first = Resource(info.last_frame.url, "", kind=UNKNOWN)
        second = Resource(info.video.url, "", kind=UNKNOWN)
        return dataclasses.replace(info, video=first, last_frame=None, candidates=(first, second))


def test_item3_unknown_kind_is_decided_by_its_bytes_trying_the_next_candidate(tmp_path: Path, simulator: Any,
                                                                               hosted: str) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            rig.engine.set_client(_UnknownKinds(rig.client))
            job = await _run(rig, hosted, return_last_frame=True)
            assert job.state is S.DONE, _reasons(rig, job.id)
            _check_file(simulator, job)  # the video, not the PNG listed first

    asyncio.run(main())


# ------------------------------------------------------------------ item 4: the bytes must be a playable video

BODIES = ["html", "zip", "empty", "gzip", "cut"]


@pytest.mark.parametrize("body", BODIES)
def test_item4_a_bad_body_once_is_refetched_and_ends_with_the_real_video(tmp_path: Path, simulator: Any,
                                                                         hosted: str, body: str) -> None:
    simulator.simulator.inject(Fault("result", FaultKind.BODY, option=body))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.DONE, _reasons(rig, job.id)
            _check_file(simulator, job)

    asyncio.run(main())


@pytest.mark.parametrize("body", BODIES)
def test_item4_a_body_that_is_never_a_video_never_ends_done(tmp_path: Path, simulator: Any, hosted: str,
                                                            body: str) -> None:
    simulator.simulator.inject(Fault("result", FaultKind.BODY, option=body, times=-1))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.FAILED, _reasons(rig, job.id)
            assert "not a playable video" in (job.error or "") and "Download again" in (job.error or "")
            assert S.DONE not in states(rig, job.id)
            assert not Path(str(job.video_path)).exists()
            assert Action.REDOWNLOAD in rig.engine.allowed_actions(job.id)
            _no_paid_rerun_advice(job)

    asyncio.run(main())


def test_item4_a_video_of_the_wrong_length_is_not_done(tmp_path: Path, simulator: Any, clip: Path) -> None:
    """A real, decodable video that is not the requested length (here: the 4 s input served
    for an 8 s request) is refetched, then failed; never DONE."""
    url = hosted_url(simulator.base_url, simulator.api_key, clip)

    def downloader(_url: str, dest: Path, **kwargs: Any) -> Any:
        return download_file(url, dest, **kwargs)  # always the 4 s clip

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, downloader=downloader) as rig:
            job = await _run(rig, url, duration=8)
            assert job.state is S.FAILED and "not a playable video" in (job.error or ""), _reasons(rig, job.id)

    asyncio.run(main())


# ------------------------------------------------------------------ items 9 and 12: clear final states


@pytest.mark.parametrize("location", ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/",
                                      "javascript:alert(1)"])
def test_items9_12_unsafe_redirect_is_final_with_the_reason(tmp_path: Path, simulator: Any, hosted: str,
                                                            location: str) -> None:
    simulator.simulator.inject(Fault("result", FaultKind.REDIRECT, option=location, times=-1))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.FAILED and "Unsafe result link" in (job.error or ""), _reasons(rig, job.id)
            assert simulator.simulator.request_counts()["result"] <= 2  # no loop

    asyncio.run(main())


@pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd", "http://example.com{path}"])
def test_items9_12_a_task_whose_only_video_link_is_unsafe_fails_with_the_reason(tmp_path: Path, simulator: Any,
                                                                                hosted: str, link: str) -> None:
    simulator.simulator.inject(Fault("task", FaultKind.RESULT_URL, option=link, times=-1))

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.FAILED and "Unsafe result link" in (job.error or ""), _reasons(rig, job.id)
            assert simulator.simulator.request_counts().get("result", 0) == 0

    asyncio.run(main())


def test_item9_too_large_is_final_with_the_reason(tmp_path: Path, simulator: Any, hosted: str) -> None:
    """DownloadTooLargeError ends the job at once (no loop), with the size in the reason."""
    calls = {"n": 0}

    def small_cap(url: str, dest: Path, **kwargs: Any) -> Any:
        calls["n"] += 1
        return download_file(url, dest, limits=Limits(max_bytes=1000), **kwargs)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, downloader=small_cap) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.FAILED and "too large" in (job.error or "") and "1000-byte" in (job.error or ""), \
                _reasons(rig, job.id)
            assert calls["n"] == 1

    asyncio.run(main())


def test_item9_a_trickling_body_is_stopped_and_retried(tmp_path: Path, simulator: Any, hosted: str) -> None:
    simulator.simulator.inject(Fault("result", FaultKind.TRICKLE, rate=2000.0))

    def deadline(url: str, dest: Path, **kwargs: Any) -> Any:
        return download_file(url, dest, limits=Limits(deadline=2.0), **kwargs)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, downloader=deadline) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.DONE, _reasons(rig, job.id)
            _check_file(simulator, job)
            assert simulator.simulator.request_counts()["result"] >= 2  # stopped at the deadline, then again

    asyncio.run(main())


def test_item9_disk_full_at_the_sidecar_is_done_with_a_note(tmp_path: Path, simulator: Any, hosted: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import seedance_desktop.core.engine.runner as runner

    def full(*_args: Any, **_kwargs: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "write_sidecar", full)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = await _run(rig, hosted)
            assert job.state is S.DONE and job.error is None, _reasons(rig, job.id)
            _check_file(simulator, job)
            assert "No space left" in job.history[-1].reason and "recipe file" in job.history[-1].reason
            assert states(rig, job.id).count(S.DOWNLOADING) == 1  # no crash-and-recover loop

    asyncio.run(main())


# ------------------------------------------------------------------ item 13: no signed query in the database

SIGNATURE = "X-Amz-Signature=0ddba11deadbeef5ec7e7"


class _SignedUploads:
    """The client, but uploaded-file URLs carry a signed query string (as a real CDN's do)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.base_url = inner.base_url
        self.sent: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upload_file(self, path: Path, **kwargs: Any) -> Any:
        uploaded = await self._inner.upload_file(path, **kwargs)
        return dataclasses.replace(uploaded, url=uploaded.url + "?expires=9999999999&" + SIGNATURE)

    async def submit(self, spec: Any, body: dict[str, Any]) -> Any:
        self.sent.append(body)
        return await self._inner.submit(spec, body)


def test_item13_signed_upload_urls_never_reach_the_database(tmp_path: Path, simulator: Any, clip: Path) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            client = _SignedUploads(rig.client)
            rig.engine.set_client(client)
            job = rig.engine.enqueue(MODEL, request_for("signed upload"), local_input(clip))
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 40)
            assert done.state is S.DONE, _reasons(rig, job.id)
            assert SIGNATURE in str(client.sent[0])  # the body got the signed URL whole
            assert done.inputs[0].uploaded_url and SIGNATURE not in done.inputs[0].uploaded_url
            assert done.result_url is None or "?" not in done.result_url
        for path in tmp_path.glob("jobs.sqlite3*"):  # the database, its -wal and -shm
            assert SIGNATURE.encode() not in path.read_bytes(), path.name
            assert b"0ddba11deadbeef5ec7e7" not in path.read_bytes(), path.name

    asyncio.run(main())


def test_item13_a_stored_signed_upload_is_uploaded_again_after_a_restart() -> None:
    """What the store keeps cannot be sent: after a restart the input is uploaded again."""
    signed = "https://cdn.example/u/a.mp4?" + SIGNATURE
    stored = stored_upload_url(signed)
    assert SIGNATURE not in stored
    assert sendable_upload_url(InputFile("video_urls", 0, "/tmp/a.mp4", uploaded_url=stored)) is None
    plain = "https://cdn.example/u/a.mp4"
    assert sendable_upload_url(InputFile("video_urls", 0, "/tmp/a.mp4", uploaded_url=stored_upload_url(plain))) == plain


def test_item13_after_a_restart_an_input_stored_without_its_signature_is_uploaded_again(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    """A job left QUEUED by a stopped app, whose uploaded URL was stored without its signed
    query: the engine uploads the input again (never sends the unsigned URL) and finishes."""
    from seedance_desktop.core.store import JobStore

    store = JobStore(tmp_path / "jobs.sqlite3")
    stale = stored_upload_url(f"{simulator.base_url}/files/uploads/gone/clip.mp4?{SIGNATURE}")
    job = store.add(Job(model=MODEL, request=request_for("restarted"), position=store.next_position(),
                        inputs=[InputFile("video_urls", 0, str(clip), uploaded_url=stale)]))
    store.close()

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, start=False) as rig:
            client = _SignedUploads(rig.client)
            rig.engine.set_client(client)
            await rig.engine.start()
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 40)
            assert done.state is S.DONE, _reasons(rig, job.id)
            assert simulator.simulator.request_counts()["upload"] == 1
            sent = str(client.sent[0])
            assert SIGNATURE in sent and "/gone/" not in sent

    asyncio.run(main())
