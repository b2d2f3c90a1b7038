"""The PREPARING step and the download durability rules, on the real engine against the
simulator. The preparer here is a small stand-in with ``core.prepare``'s contract (it copies the
input, reports progress, honours cancel), so these tests need no media encoding."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from engine_harness import MODEL, engine_rig, hosted_url, local_input, request_for, sha256, states
from seedance_desktop.api.download import download_file
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.media.errors import ConformCancelled, MediaError

S = JobState
pytestmark = pytest.mark.timeout(60)


class CopyingPreparer:
    """Copies every input into ``folder`` as its "conformed" version (``prepared_path``)."""

    def __init__(self, folder: Path, *, fail: str | None = None, steps: int = 5, step_time: float = 0.02) -> None:
        self.folder = folder
        self.fail = fail
        self.steps, self.step_time = steps, step_time
        self.active = self.max_active = 0
        self.started = threading.Event()
        self._lock = threading.Lock()

    def prepare(self, job: Job, *, progress: Any, cancel: threading.Event) -> list[InputFile]:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.started.set()
        try:
            for step in range(self.steps):
                if cancel.is_set():
                    raise ConformCancelled("cancelled")
                progress(step / self.steps)
                time.sleep(self.step_time)
            if self.fail:
                raise MediaError(self.fail, user_message=self.fail)
            prepared = []
            for item in job.inputs:
                dest = self.folder / f"{job.id}-{item.field}-{item.index}.mp4"
                self.folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(item.local_path, dest)
                prepared.append(replace(item, prepared_path=str(dest), prepared_note="Copied as it is."))
            return prepared
        finally:
            with self._lock:
                self.active -= 1


def test_inputs_are_prepared_one_job_at_a_time_and_the_prepared_copy_is_uploaded(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    preparer = CopyingPreparer(tmp_path / "conformed")

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=2,
                              preparer=preparer) as rig:
            sent: list[Path] = []
            real_upload = rig.client.upload_file

            async def recording_upload(path: Path, **kwargs: Any) -> Any:
                sent.append(Path(path))
                return await real_upload(path, **kwargs)

            rig.client.upload_file = recording_upload  # type: ignore[method-assign]
            jobs = [rig.engine.enqueue(MODEL, request_for(f"prepared {i}"), local_input(clip)) for i in range(3)]
            done = [await asyncio.wait_for(rig.engine.wait_for(j.id), 40) for j in jobs]
            assert [j.state for j in done] == [S.DONE] * 3
            assert preparer.max_active == 1  # CPU-bound: one job prepares at a time
            for job in done:
                history = states(rig, job.id)
                assert history.index(S.PREPARING) < history.index(S.UPLOADING) < history.index(S.SUBMITTING)
                prepared = job.inputs[0].prepared_path
                assert prepared and Path(prepared).parent == tmp_path / "conformed"
                assert Path(prepared) in sent or sha256(Path(prepared)) == sha256(sent[0])
                assert job.inputs[0].local_path == str(clip)  # the original is untouched and remembered
            assert clip not in sent  # only conformed copies went out
            # The three prepared copies hold the same bytes: uploaded once, the URL reused.
            assert len(sent) == 1 and simulator.simulator.request_counts().get("upload", 0) == 1
            assert len({j.inputs[0].uploaded_url for j in done}) == 1
            progress = [j for j in rig.seen if j.state is S.PREPARING and j.progress is not None]
            assert progress and all(0.0 <= j.progress <= 1.0 for j in progress)

    asyncio.run(main())


def test_an_input_no_conforming_can_fix_fails_the_job_with_the_preparers_reason(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    reason = "video_urls[0]: the clip is 0.4 s long; reference videos must be 2-15 s. Choose a longer clip."
    preparer = CopyingPreparer(tmp_path / "conformed", fail=reason)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, preparer=preparer) as rig:
            job = rig.engine.enqueue(MODEL, request_for("unfixable"), local_input(clip))
            failed = await asyncio.wait_for(rig.engine.wait_for(job.id), 20)
            assert failed.state is S.FAILED and failed.error == reason
            assert simulator.simulator.request_counts().get("upload", 0) == 0

    asyncio.run(main())


def test_cancel_while_preparing_cancels_and_stop_while_preparing_requeues(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    preparer = CopyingPreparer(tmp_path / "conformed", steps=2000, step_time=0.005)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, preparer=preparer) as rig:
            preparing = asyncio.Event()
            rig.engine.add_listener(lambda j: preparing.set() if j.state is S.PREPARING else None)
            first = rig.engine.enqueue(MODEL, request_for("cancel me"), local_input(clip))
            await asyncio.wait_for(preparing.wait(), 10)
            assert rig.engine.cancel(first.id).state is S.CANCELLED
            preparing.clear()
            second = rig.engine.enqueue(MODEL, request_for("stop me"), local_input(clip))
            await asyncio.wait_for(preparing.wait(), 10)
            await rig.engine.stop()
            assert rig.store.get(second.id).state is S.QUEUED  # resumable: prepared again next time
            assert rig.store.get(first.id).state is S.CANCELLED
            assert simulator.simulator.request_counts().get("upload", 0) == 0

    asyncio.run(main())


def test_two_jobs_named_alike_downloading_at_once_get_their_own_files(
        tmp_path: Path, simulator: Any, clip: Path) -> None:
    """The durability check: a file name is reserved for one job the moment it is chosen, so
    two jobs can never share a path (the second would otherwise "find" the first one's file,
    call itself DONE with it, or lose it when the first is removed)."""
    url = hosted_url(simulator.base_url, simulator.api_key, clip)
    together = threading.Barrier(2, timeout=20)
    destinations: list[Path] = []

    def downloader(url: str, dest: Path, **kwargs: Any) -> Any:
        destinations.append(dest)
        together.wait()  # both jobs are inside the downloader: both names were chosen already
        return download_file(url, dest, **kwargs)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, max_in_flight=2,
                              naming_template="{prompt}", downloader=downloader) as rig:
            jobs = [rig.engine.enqueue(MODEL, request_for("same name", url, seed=i), []) for i in range(2)]
            done = [await asyncio.wait_for(rig.engine.wait_for(j.id), 40) for j in jobs]
            assert [j.state for j in done] == [S.DONE, S.DONE]
            assert len(set(destinations)) == 2
            tasks = simulator.simulator.tasks()
            for job in done:
                assert sha256(job.video_path) == tasks[job.task_id].video_sha256

    asyncio.run(main())


def test_a_wall_clock_stepped_back_an_hour_does_not_stall_the_queue(tmp_path: Path, simulator: Any,
                                                                    clip: Path) -> None:
    url = hosted_url(simulator.base_url, simulator.api_key, clip)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key,
                              wall_clock=lambda: time.time() - 3600.0) as rig:
            job = rig.engine.enqueue(MODEL, request_for("an hour ago", url), [])
            assert (await asyncio.wait_for(rig.engine.wait_for(job.id), 20)).state is S.DONE

    asyncio.run(main())
