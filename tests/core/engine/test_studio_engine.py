"""The media studio through the real engine against the simulator (loopback HTTP): a trimmed
and cropped clip is prepared exactly, uploaded once however many jobs use it, a small first
frame goes inline, and a finished job continues from its exact last frame."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from engine_harness import MODEL, engine_rig, request_for
from seedance_desktop.core.continuation import ContinueError, continue_from
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.prepare import InputPreparer
from seedance_desktop.media.probe import check_reference_video, probe
from seedance_desktop.media.synth import make_clip, make_image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "media"))
from clipbank import index_of, indexed_clip  # noqa: E402

S = JobState
pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]


def _trimmed(path: Path) -> list[InputFile]:
    return [InputFile("video_urls", 0, str(path), trim_start=1.0, trim_end=3.5, framing="crop:9:16")]


def test_a_trimmed_cropped_clip_is_prepared_exactly_and_uploaded_once(tmp_path: Path, simulator: Any) -> None:
    clip = indexed_clip(tmp_path / "clip.mp4", duration=4.0, width=854, height=480)
    frame = make_image(tmp_path / "first.png", width=320, height=320)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key,
                              preparer=InputPreparer(tmp_path / "cache")) as rig:
            first = rig.engine.enqueue(MODEL, request_for("[Video 1] one", ratio="9:16"), _trimmed(clip))
            done = await asyncio.wait_for(rig.engine.wait_for(first.id), 200)
            assert done.state is S.DONE, done.error
            (item,) = done.inputs
            assert item.prepared_note == "Cut to 1-3.5 s, cropped to 9:16, scaled to 480x854, re-encoded as H.264"
            assert item.prepared_path and check_reference_video(probe(item.prepared_path)) == []
            with av.open(item.prepared_path) as container:
                frames = list(container.decode(video=0))
            assert (index_of(frames[0]), index_of(frames[-1])) == (24, 83)  # 1.0 s and 3.5 s - 1 frame at 24 fps
            assert simulator.simulator.request_counts().get("upload") == 1

            # The same clip with the same edit, plus a small first frame: no new upload at all.
            inputs = _trimmed(clip) + [InputFile("first_frame_image", 0, str(frame))]
            second = rig.engine.enqueue(MODEL, request_for("[Video 1] two", ratio="9:16", first_frame_image=None),
                                        inputs)
            again = await asyncio.wait_for(rig.engine.wait_for(second.id), 200)
            assert again.state is S.DONE, again.error
            assert simulator.simulator.request_counts().get("upload") == 1
            assert again.inputs[0].uploaded_url == item.uploaded_url
            assert again.inputs[1].uploaded_url == "data:image/png;base64,\u2026"  # inline; the data stays out of the DB
            body = simulator.simulator.task(again.task_id).body  # type: ignore[arg-type]
            assert body["first_frame_image"].startswith("data:image/png;base64,iVBOR")

    asyncio.run(main())


def test_a_finished_job_continues_from_its_exact_last_frame(tmp_path: Path, simulator: Any) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=3.0)

    async def main() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key) as rig:
            request = request_for("[Video 1] at dusk", seed=7, camera_fixed=True)
            job = rig.engine.enqueue(MODEL, request, [InputFile("video_urls", 0, str(clip))])
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 60)
            assert done.state is S.DONE and done.video_path
            with pytest.raises(ContinueError) as refused:
                continue_from(Job(model=MODEL), tmp_path / "frames")
            assert "Only a finished job" in refused.value.user_message

            recipe = await asyncio.to_thread(continue_from, done, tmp_path / "frames")
            assert recipe.model == MODEL
            assert [(i.field, i.local_path) for i in recipe.inputs] == [
                ("video_urls", done.video_path), ("first_frame_image", str(recipe.first_frame))]
            kept = {k: v for k, v in recipe.request.items() if k not in ("video_urls", "first_frame_image")}
            assert kept == {k: v for k, v in done.request.items() if k != "video_urls"}  # same settings
            with av.open(done.video_path) as container:
                last = list(container.decode(video=0))[-1].to_ndarray(format="rgb24")
            with av.open(str(recipe.first_frame)) as container:
                picture = next(container.decode(video=0)).to_ndarray(format="rgb24")
            assert picture.shape == last.shape and np.array_equal(picture, last)  # the exact last frame

            follow = rig.engine.enqueue(recipe.model, recipe.request, recipe.inputs)
            finished = await asyncio.wait_for(rig.engine.wait_for(follow.id), 60)
            assert finished.state is S.DONE, finished.error
            body = simulator.simulator.task(finished.task_id).body  # type: ignore[arg-type]
            assert body["seed"] == 7 and body["camera_fixed"] is True and body["first_frame_image"].startswith("data:")

    asyncio.run(main())
