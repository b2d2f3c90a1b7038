"""Done-when of issue 9: in demo mode, quitting with a job processing and starting again ends
that job done. Two demo sessions over the same home folder, each with its own simulator child
(as two app runs have): the first quits while the job is processing on the simulator; the second
polls the same task (never posts it again) and downloads the result."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.core.job import InputFile, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings
from seedance_desktop.media.synth import make_clip
from seedance_desktop.runtime.compose import build_runtime
from seedance_desktop.runtime.demo import simulator_dir
from seedance_desktop.simulator.persist import known_task_ids

REQUEST = {"prompt": "[Video 1] as a watercolour", "duration": 4, "resolution": "480p", "ratio": "16:9"}
#: Demo time at 6x (the app's default): processing takes 5-15 s of real time, long enough to quit
#: in the middle of it.
SCALE = 6.0


async def _until(condition: object, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.timeout(120)
def test_demo_job_processing_at_quit_is_done_after_restart(tmp_path: Path) -> None:
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    settings = Settings(output_dir=tmp_path / "videos")
    clip = make_clip(tmp_path / "clip.mp4", duration=4.0)

    async def first_session() -> str:
        runtime = await build_runtime(paths, settings, api_key=None, demo=True, time_scale=SCALE)
        try:
            job = runtime.engine.enqueue(DEFAULT_MODEL, dict(REQUEST), [InputFile("video_urls", 0, str(clip))])
            await _until(lambda: runtime.store.get(job.id).state is JobState.PROCESSING, 60, "processing")
        finally:
            await runtime.aclose()  # the app quits: engine stopped, simulator child stopped
        return job.id

    job_id = asyncio.run(first_session())

    async def second_session() -> tuple[JobState, str | None, str | None, list[JobState], str | None]:
        runtime = await build_runtime(paths, settings, api_key=None, demo=True, time_scale=SCALE)
        try:
            before = runtime.store.get(job_id)
            assert before.state is JobState.PROCESSING, (before.state, before.error)  # not retired, not done
            task_before = before.task_id
            job = await asyncio.wait_for(runtime.engine.wait_for(job_id), 60)
            return job.state, task_before, job.task_id, [t.new for t in job.history], job.video_path
        finally:
            await runtime.aclose()

    state, task_before, task_after, history, video = asyncio.run(second_session())
    assert state is JobState.DONE, history
    assert task_before and task_after == task_before  # the same task, polled: never posted again
    assert history.count(JobState.SUBMITTING) == 1
    assert video is not None and Path(video).is_file() and Path(video).stat().st_size > 0
    assert task_before in known_task_ids(simulator_dir(paths))
