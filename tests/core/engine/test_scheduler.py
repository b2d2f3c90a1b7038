"""The engine end to end over loopback HTTP against the simulator: uploads, the in-flight cap,
downloads verified against the simulator's records, sidecars, queue actions and restarts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine_harness import MODEL, engine_rig, local_input, request_for, sha256, states, wait_all
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.outputs import read_sidecar
from seedance_desktop.core.store import JobStore
from seedance_desktop.core.engine import Action, EngineError
from seedance_desktop.core.engine.allowed import refusal_message
from seedance_desktop.core.engine.scheduler import SLOT_STATES

S = JobState


@pytest.mark.timeout(60)
def test_jobs_run_to_done_within_the_cap_and_match_the_server(tmp_path: Path, simulator: Any, clip: Path) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=2) as rig:
            in_flight_max = 0

            def watch(job: Job) -> None:
                nonlocal in_flight_max
                busy = sum(1 for j in rig.store.list() if j.state in SLOT_STATES)
                in_flight_max = max(in_flight_max, busy)

            rig.engine.add_listener(watch)
            jobs = [rig.engine.enqueue(MODEL, request_for(f"job {i}", seed=i), local_input(clip)) for i in range(4)]
            done = await wait_all(rig.engine, jobs)
            assert [j.state for j in done] == [S.DONE] * 4
            assert in_flight_max == 2
            tasks = simulator.simulator.tasks()
            assert len(tasks) == 4 and rig.submit_count() == 4
            for job in done:
                record = tasks[job.task_id]
                assert Path(job.video_path).stat().st_size == record.video_size
                assert sha256(job.video_path) == record.video_sha256
                assert job.cost == record.amount
                assert states(rig, job.id) == [S.QUEUED, S.UPLOADING, S.SUBMITTING, S.SUBMITTED, S.PROCESSING,
                                               S.DOWNLOADING, S.DONE] or S.PROCESSING not in states(rig, job.id)
                recipe = read_sidecar(job.video_path)
                assert recipe.model == MODEL and recipe.request["prompt"] == job.prompt
                assert recipe.inputs[0].local_path == str(clip)
                sidecar = Path(job.video_path).with_suffix(".json").read_text()
                assert "signature" not in sidecar and simulator.api_key not in sidecar
                assert job.inputs[0].uploaded_url and "/files/uploads/" in job.inputs[0].uploaded_url
            # Progress was reported for uploads and downloads, at most ~10 Hz per job.
            progress = [j for j in rig.seen if j.progress is not None]
            assert progress
            # Jobs started in queue order.
            started = list(dict.fromkeys(j.id for j in rig.seen if j.state is S.UPLOADING))
            assert started == [j.id for j in jobs]

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_last_frame_is_downloaded_beside_the_video(tmp_path: Path, simulator: Any, clip: Path) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = rig.engine.enqueue(MODEL, request_for("with last frame", return_last_frame=True), local_input(clip))
            done = await rig.engine.wait_for(job.id)
            assert done.state is S.DONE
            assert done.last_frame_path and Path(done.last_frame_path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert Path(done.last_frame_path).parent == Path(done.video_path).parent

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_restart_resumes_every_unfinished_state(tmp_path: Path, simulator: Any, clip: Path) -> None:
    """SUBMITTING -> OUTCOME_UNKNOWN (never re-POSTed); UPLOADING -> QUEUED keeping the URLs it
    already has; SUBMITTED is polled; DOWNLOADING resumes."""

    async def main() -> None:
        # First run: get one task submitted and one uploaded file, then stop before the end.
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            uploaded = await rig.client.upload_file(clip)
            first = rig.engine.enqueue(MODEL, request_for("submitted before"), local_input(clip))
            while rig.store.get(first.id).state not in (S.SUBMITTED, S.PROCESSING):
                await asyncio.sleep(0.005)
        store = JobStore(tmp_path / "jobs.sqlite3")
        try:
            # Forge a job stuck in SUBMITTING and one stuck in UPLOADING with its URL known.
            stuck = Job(model=MODEL, request=request_for("stuck submitting"), inputs=local_input(clip))
            store.add(stuck)
            store.transition(stuck.id, S.SUBMITTING)
            half = Job(model=MODEL, request=request_for("half uploaded"),
                       inputs=[InputFile("video_urls", 0, str(clip), uploaded_url=uploaded.url)])
            store.add(half)
            store.transition(half.id, S.UPLOADING)
        finally:
            store.close()
        posts_before = simulator.simulator.request_counts().get("submit", 0)
        uploads_before = simulator.simulator.request_counts().get("upload", 0)
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            assert rig.store.get(stuck.id).state is S.OUTCOME_UNKNOWN
            assert "not re-sent" in (rig.store.get(stuck.id).error or "")
            done = await wait_all(rig.engine, [first, half])
            assert [j.state for j in done] == [S.DONE, S.DONE]
            assert done[0].task_id == rig.store.get(first.id).task_id
            assert S.QUEUED in states(rig, half.id)[2:]
            assert done[1].inputs[0].uploaded_url == uploaded.url
            counts = simulator.simulator.request_counts()
            assert counts["submit"] - posts_before == 1   # only the half-uploaded job
            assert counts.get("upload", 0) == uploads_before  # its URL was reused
            assert (await rig.engine.wait_for(stuck.id)).state is S.OUTCOME_UNKNOWN

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_queue_actions(tmp_path: Path, simulator: Any, clip: Path) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=1) as rig:
            engine = rig.engine
            engine.pause("holding")
            assert engine.paused and engine.pause_reason == "holding"
            a = engine.enqueue(MODEL, request_for("a", seed=7), local_input(clip))
            b = engine.enqueue(MODEL, request_for("b", seed=8), local_input(clip))
            c = engine.enqueue(MODEL, request_for("c"), local_input(clip))
            await asyncio.sleep(0.1)
            assert rig.store.get(a.id).state is S.QUEUED  # paused: nothing starts
            edited = engine.edit(b.id, request_for("b edited", seed=8), local_input(clip))
            assert edited.prompt == "b edited"
            assert engine.cancel(c.id).state is S.CANCELLED
            engine.move(b.id, -1.0)  # b runs first
            engine.resume()
            done_b = await engine.wait_for(b.id)
            done_a = await engine.wait_for(a.id)
            assert done_b.state is S.DONE and done_a.state is S.DONE
            assert done_b.submitted_at < done_a.submitted_at
            with pytest.raises(Exception) as info:
                engine.edit(a.id, request_for("late"), [])
            assert "queued" in getattr(info.value, "user_message", "")
            model, request, inputs = engine.recipe(a.id)
            assert model == MODEL and request["seed"] == 7 and inputs[0].uploaded_url is None
            with pytest.raises(EngineError) as refused:
                engine.submit_again(a.id)  # only for an outcome-unknown job (core.engine.allowed)
            assert refused.value.user_message == refusal_message(rig.store.get(a.id), Action.SUBMIT_AGAIN)
            again = engine.retry(c.id)  # a cancelled job was never sent: a new attempt is safe
            assert again.attempt_of == c.id and again.inputs[0].uploaded_url is None
            new_seed = engine.rerun_with_new_seed(a.id)
            assert new_seed.seed not in (None, 7) and new_seed.attempt_of is None
            removed = engine.remove(c.id)
            assert rig.store.find(c.id) is None and removed.state is S.CANCELLED
            back = engine.restore(removed)  # the window's Undo: the same job, history and all
            assert (back.id, back.state, len(back.history)) == (c.id, S.CANCELLED, len(removed.history))
            assert rig.store.get(c.id).history == removed.history
            assert engine.restore(removed).id == c.id  # Undo twice: still one job
            finished = await wait_all(engine, [again, new_seed])
            assert [j.state for j in finished] == [S.DONE, S.DONE]
            names = {Path(j.video_path).name for j in (done_a, done_b, *finished)}
            assert len(names) == 4  # never overwritten

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_progress_is_throttled_per_job(tmp_path: Path) -> None:
    from seedance_desktop.core.engine.journal import ErrorReporter, Journal

    async def main() -> None:
        store = JobStore(tmp_path / "jobs.sqlite3")
        try:
            journal = Journal(store, ErrorReporter())
            seen: list[Job] = []
            journal.add_listener(seen.append)
            job = journal.add(Job(model=MODEL, request=request_for("p")), "added")
            seen.clear()
            for i in range(200):
                journal.progress(job.id, i / 200)
            journal.progress(job.id, 1.0)
            assert 1 <= len(seen) <= 3 and seen[-1].progress == 1.0
        finally:
            store.close()

    asyncio.run(main())


def test_no_qt_in_the_engine() -> None:
    import subprocess
    import sys

    code = ("import sys, seedance_desktop.core.engine, seedance_desktop.core.policy; "
            "print([m for m in sys.modules if m.startswith(('PySide6', 'qasync'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().replace("'", '"')) == []


@pytest.mark.timeout(60)
def test_a_runner_killed_by_an_unexpected_error_is_reported_and_recovers(tmp_path: Path, simulator: Any, clip: Path) -> None:
    """E.g. the disk hiccups while committing PROCESSING: the error reaches the handler, and the
    job is picked up again instead of being silently forgotten."""
    from engine_harness import hosted_url

    errors: list[tuple[BaseException, str]] = []
    url = hosted_url(simulator.base_url, simulator.api_key, clip)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key,
                              on_error=lambda e, what: errors.append((e, what))) as rig:
            real = rig.store.transition
            failed = []

            def flaky(job_id: str, state: JobState, reason: str = "", **fields: Any) -> Job:
                if state is S.PROCESSING and not failed:
                    failed.append(job_id)
                    raise OSError(5, "Input/output error")
                return real(job_id, state, reason, **fields)

            rig.store.transition = flaky  # type: ignore[method-assign]
            job = rig.engine.enqueue(MODEL, request_for("store hiccup", url), [])
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 30)
            assert done.state is S.DONE and failed == [job.id]
        assert len(errors) == 1 and isinstance(errors[0][0], OSError) and job.id[:8] in errors[0][1]

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_pause_during_upload_requeues_keeping_the_url(tmp_path: Path, simulator: Any, clip: Path) -> None:
    """A job whose upload finishes after the queue was paused goes back to QUEUED with its
    uploaded URL kept, and is submitted (without a second upload) after resume()."""

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            real_upload = rig.client.upload_file
            release = asyncio.Event()

            async def held_upload(path: Path, **kwargs: Any) -> Any:
                result = await real_upload(path, **kwargs)
                await release.wait()
                return result

            rig.client.upload_file = held_upload  # type: ignore[method-assign]
            job = rig.engine.enqueue(MODEL, request_for("paused mid-upload"), local_input(clip))
            while simulator.simulator.request_counts().get("upload", 0) == 0 or rig.store.get(job.id).state is not S.UPLOADING:
                await asyncio.sleep(0.01)
            rig.engine.pause()
            release.set()
            while rig.store.get(job.id).state is not S.QUEUED:
                await asyncio.sleep(0.01)
            assert rig.store.get(job.id).inputs[0].uploaded_url
            await asyncio.sleep(0.2)
            assert rig.store.get(job.id).state is S.QUEUED and simulator.simulator.request_counts().get("submit", 0) == 0
            rig.engine.resume()
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 20)
            assert done.state is S.DONE
            assert simulator.simulator.request_counts()["upload"] == 1

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_raising_the_cap_starts_more_jobs(tmp_path: Path, simulator: Any, clip: Path) -> None:
    from engine_harness import hosted_url

    url = hosted_url(simulator.base_url, simulator.api_key, clip)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=1) as rig:
            jobs = [rig.engine.enqueue(MODEL, request_for(f"cap {i}", url), []) for i in range(3)]
            await asyncio.sleep(0.2)
            busy = [j for j in rig.store.list() if j.state in SLOT_STATES]
            assert len(busy) == 1
            rig.engine.set_max_in_flight(3)
            await asyncio.sleep(0.2)
            assert sum(1 for j in rig.store.list() if j.state in SLOT_STATES or j.state is S.DOWNLOADING
                       or j.state is S.DONE) == 3
            done = await wait_all(rig.engine, jobs)
            assert [j.state for j in done] == [S.DONE] * 3

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_uploads_are_freed_so_a_small_upload_quota_never_stalls_the_queue(
    tmp_path: Path, simulator_factory: Any, clip: Path
) -> None:
    """The File API holds about 10 files per team: more local-input jobs than that must still
    all finish. The upload cache keeps a few idle files for reuse; a 429 on upload makes it
    give them back (deleted), and the upload is tried again."""
    from sim_fixtures import FAST_SIM

    from seedance_desktop.media.synth import make_clip

    server = simulator_factory(**{**FAST_SIM, "upload_quota": 2})
    clips = [make_clip(tmp_path / f"clip{i}.mp4", duration=2.5, seed=i) for i in range(5)]  # five distinct files

    async def main() -> None:
        async with engine_rig(tmp_path, server.base_url, server.api_key, max_in_flight=1) as rig:
            jobs = [rig.engine.enqueue(MODEL, request_for(f"quota {i}", seed=i), local_input(c))
                    for i, c in enumerate(clips)]
            done = await wait_all(rig.engine, jobs)
            assert [j.state for j in done] == [S.DONE] * 5
            assert len({j.inputs[0].uploaded_file_id for j in done}) == 5
            counts = server.simulator.request_counts()
            assert counts.get("upload", 0) >= 5 and counts.get("files_delete", 0) >= 3

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_signed_result_urls_never_reach_the_database(tmp_path: Path, simulator: Any, clip: Path) -> None:
    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            job = rig.engine.enqueue(MODEL, request_for("signed", seed=3, return_last_frame=True), local_input(clip))
            (done,) = await wait_all(rig.engine, [job])
            assert done.state is S.DONE and Path(str(done.last_frame_path)).exists()
            stored = rig.store.get(job.id)
            assert stored.remote_video_url and "?" not in stored.remote_video_url

    asyncio.run(main())
    database = b"".join(p.read_bytes() for p in tmp_path.glob("jobs.sqlite3*"))
    assert b"/files/results/" in database  # the unsigned URL is kept for diagnosis
    assert b"signature=" not in database and b"expires=" not in database


@pytest.mark.timeout(90)
def test_results_finishing_together_are_fetched_at_most_two_at_a_time(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    """Many jobs finishing at once must not flood the engine's process with download threads
    (they compete with the event loop for the GIL and delay every poll): at most
    DOWNLOAD_LANES result files are fetched at the same time, and every job still ends DONE."""
    import threading
    import time

    from seedance_desktop.api.download import download_file
    from seedance_desktop.core.engine.runner import DOWNLOAD_LANES

    lock = threading.Lock()
    running = peak = 0

    def slow_download(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(1.5)   # long enough that downloads of jobs finishing together overlap
            return download_file(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    async def main() -> list[Job]:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=6,
                              downloader=slow_download) as rig:
            jobs = [rig.engine.enqueue(MODEL, request_for(f"job {i}", seed=i), local_input(clip)) for i in range(6)]
            return await wait_all(rig.engine, jobs, timeout=80)

    done = asyncio.run(main())
    assert [j.state for j in done] == [S.DONE] * 6
    # Without the lanes (asyncio's pool of six threads) this run reaches 3 at once.
    assert 1 <= peak <= 2 == DOWNLOAD_LANES, peak
