"""core.prepare: the quick assessment both faces show, and the engine's PREPARING step."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
from clipbank import text_as_mp4, write_clip  # noqa: E402

from seedance_desktop.core.job import InputFile, Job  # noqa: E402
from seedance_desktop.core.prepare import (  # noqa: E402
    InputPreparer,
    InputRejected,
    assess_inputs,
    input_label,
)
from seedance_desktop.errors import SeedanceError  # noqa: E402
from seedance_desktop.media.errors import ConformCancelled  # noqa: E402
from seedance_desktop.media.probe import check_reference_video, probe  # noqa: E402
from seedance_desktop.media.synth import make_audio, make_clip, make_image  # noqa: E402

MODEL = "bytedance/seedance-2.0-fast-v2v"


def video(path: Path, index: int = 0) -> InputFile:
    return InputFile(field="video_urls", index=index, local_path=str(path))


def test_labels_name_inputs_the_way_the_user_sees_them() -> None:
    assert input_label(MODEL, "video_urls", 1, "/x/clip.webm") == "Reference video 2 (clip.webm)"
    assert input_label(MODEL, "first_frame_image", 0, "/x/a.png") == "First frame (a.png)"
    assert input_label(MODEL, "reference_images", 0, "/x/b.png") == "Reference image 1 (b.png)"
    assert input_label(MODEL, "audio_urls", 2, "/x/c.wav") == "Audio 3 (c.wav)"


def test_assessment_words_ok_conform_and_rejected(tmp_path: Path) -> None:
    ok = make_clip(tmp_path / "ok.mp4", duration=3.0, audio=False)
    small = write_clip(tmp_path / "small.mp4", duration=3.0, width=320, height=240)
    broken = text_as_mp4(tmp_path / "broken.mp4")
    image = make_image(tmp_path / "tiny.png", width=200, height=200)
    found = assess_inputs(MODEL, [video(ok), video(small, 1), video(broken, 2),
                                  InputFile("first_frame_image", 0, str(image))])
    assert [a.verdict.value for a in found] == ["ok", "conform", "reject", "conform"]
    assert found[0].line == "Reference video 1 (ok.mp4): Passes every limit as it is."
    assert found[1].line == ("Reference video 2 (small.mp4): Will be conformed before upload: "
                             "scaled to 768x576, re-encoded as H.264.")
    assert found[2].line.startswith("Reference video 3 (broken.mp4): It cannot be read as a video")
    assert found[3].line == "First frame (tiny.png): Will be conformed before upload: scaled to 300x300, saved as PNG."


def test_clips_over_15_s_together_are_trimmed_to_fit(tmp_path: Path) -> None:
    a = make_clip(tmp_path / "a.mp4", duration=10.0, audio=False, crf=40)
    b = make_clip(tmp_path / "b.mp4", duration=10.0, audio=False, crf=40)
    first, second = assess_inputs(MODEL, [video(a), video(b, 1)])
    assert first.ok  # 10 s: the first clip keeps what it has (2 s stay free for the second)
    assert second.line == "Reference video 2 (b.mp4): Will be conformed before upload: trimmed to 5 s, re-encoded as H.264."


def test_audio_over_15_s_together_is_cut_to_fit(tmp_path: Path) -> None:
    a = make_audio(tmp_path / "a.wav", duration=10.0)
    b = make_audio(tmp_path / "b.wav", duration=8.0)
    c = make_audio(tmp_path / "c.wav", duration=2.0)
    found = assess_inputs(MODEL, [InputFile("audio_urls", 0, str(a)), InputFile("audio_urls", 1, str(b)),
                                  InputFile("audio_urls", 2, str(c))])
    assert found[0].ok and found[1].will_conform and found[2].rejected
    assert found[1].line == "Audio 2 (b.wav): Will be conformed before upload: trimmed to 5 s, converted to MP3."
    assert found[2].line.startswith("Audio 3 (c.wav): The audio before it already uses the 15 s allowed in total.")


@pytest.mark.timeout(120)
def test_prepare_conforms_what_needs_it_and_keeps_the_rest(tmp_path: Path) -> None:
    ok = make_clip(tmp_path / "ok.mp4", duration=3.0, audio=False)
    small = write_clip(tmp_path / "small.mp4", duration=3.0, width=320, height=240)
    preparer = InputPreparer(tmp_path / "cache")
    seen: list[float] = []
    job = Job(model=MODEL, inputs=[video(ok), video(small, 1)])
    first, second = preparer.prepare(job, progress=seen.append, cancel=threading.Event())
    assert first.prepared_path is None and first.prepared_note == "Passes every limit as it is."
    assert second.prepared_note == "Scaled to 768x576, re-encoded as H.264"
    assert second.prepared_path and Path(second.prepared_path).parent == tmp_path / "cache"
    assert check_reference_video(probe(second.prepared_path)) == []
    assert second.local_path == str(small)  # the original stays what the user chose
    assert seen[-1] == 1.0 and seen == sorted(seen) and 0 <= seen[0]

    # Prepared inputs whose file still exists are kept as they are (no second encode).
    mtime = Path(second.prepared_path).stat().st_mtime_ns
    again = preparer.prepare(Job(model=MODEL, inputs=[first, second]), progress=lambda f: None,
                             cancel=threading.Event())
    assert again[1] == second and Path(second.prepared_path).stat().st_mtime_ns == mtime


def test_unfixable_input_raises_input_rejected_naming_it(tmp_path: Path) -> None:
    ok = make_clip(tmp_path / "ok.mp4", duration=3.0, audio=False)
    short = write_clip(tmp_path / "short.mp4", duration=1.0, width=854, height=480)
    with pytest.raises(InputRejected) as caught:
        InputPreparer(tmp_path / "cache").prepare(Job(model=MODEL, inputs=[video(ok), video(short, 1)]),
                                                  progress=lambda f: None, cancel=threading.Event())
    assert isinstance(caught.value, SeedanceError)
    assert caught.value.user_message == ("Reference video 2 (short.mp4): It is 1.0 s long; reference videos must "
                                         "be at least 2 s. Use a clip of 2 to 15 s.")
    assert not (tmp_path / "cache").exists()  # nothing was encoded


def test_prepare_raises_conform_cancelled_when_cancelled(tmp_path: Path) -> None:
    small = write_clip(tmp_path / "small.mp4", duration=3.0, width=320, height=240)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ConformCancelled):
        InputPreparer(tmp_path / "cache").prepare(Job(model=MODEL, inputs=[video(small)]),
                                                  progress=lambda f: None, cancel=cancel)


# ----------------------------------------------------------------- the hook in today's engine
# (the engine rewrite implements the same PREPARING step against InputPreparer's contract)

sys.path.insert(0, str(Path(__file__).resolve().parent / "engine"))
import asyncio  # noqa: E402

from engine_harness import engine_rig, request_for, states  # noqa: E402

from seedance_desktop.core.job import JobState  # noqa: E402


class BlockingPreparer:
    """Stands in for InputPreparer: reports progress, then waits until cancelled."""

    def __init__(self) -> None:
        self.started = threading.Event()

    def prepare(self, job: Job, *, progress: object, cancel: threading.Event) -> list[InputFile]:
        progress(0.25)  # type: ignore[operator]
        self.started.set()
        cancel.wait(20)
        raise ConformCancelled()


@pytest.mark.timeout(60)
def test_engine_fails_an_unfixable_input_in_preparing_without_uploading(tmp_path: Path, simulator) -> None:
    short = write_clip(tmp_path / "short.mp4", duration=1.0, width=854, height=480)

    async def scenario() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key,
                              preparer=InputPreparer(tmp_path / "cache")) as rig:
            job = rig.engine.enqueue(MODEL, request_for("[Video 1]"), [video(short)])
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 30)
            assert done.state is JobState.FAILED
            assert done.error and done.error.startswith("Reference video 1 (short.mp4): It is 1.0 s long")
            assert states(rig, job.id) == [JobState.QUEUED, JobState.PREPARING, JobState.FAILED]
            assert not any(path.endswith("/media/files") for _, _, path in rig.requests)

    asyncio.run(scenario())


@pytest.mark.timeout(60)
def test_engine_cancels_and_stops_a_job_while_preparing(tmp_path: Path, simulator) -> None:
    clip = make_clip(tmp_path / "ok.mp4", duration=3.0, audio=False)

    async def scenario() -> None:
        preparer = BlockingPreparer()
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, preparer=preparer) as rig:
            job = rig.engine.enqueue(MODEL, request_for("[Video 1]"), [video(clip)])
            await asyncio.wait_for(asyncio.to_thread(preparer.started.wait, 20), 25)
            await asyncio.sleep(0.05)
            assert rig.store.get(job.id).state is JobState.PREPARING
            assert any(j.id == job.id and j.state is JobState.PREPARING and j.progress == 0.25 for j in rig.seen)
            rig.engine.cancel(job.id)
            assert rig.store.get(job.id).state is JobState.CANCELLED

            preparer.started.clear()
            second = rig.engine.enqueue(MODEL, request_for("[Video 1] again"), [video(clip)])
            await asyncio.wait_for(asyncio.to_thread(preparer.started.wait, 20), 25)
            await rig.engine.stop()  # quitting mid-preparation: the job goes back to the queue
            assert rig.store.get(second.id).state is JobState.QUEUED
            assert not any(path.endswith("/media/files") for _, _, path in rig.requests)

    asyncio.run(scenario())


@pytest.mark.timeout(90)
def test_a_job_found_preparing_at_start_up_is_prepared_again_and_done(tmp_path: Path, simulator) -> None:
    from seedance_desktop.core.store import JobStore

    small = write_clip(tmp_path / "small.mp4", duration=2.5, width=320, height=240)
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.add(Job(model=MODEL, request=request_for("[Video 1]"), inputs=[video(small)]))
    store.transition(job.id, JobState.PREPARING, "preparing when the app was killed")
    store.close()

    async def scenario() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key,
                              preparer=InputPreparer(tmp_path / "cache")) as rig:
            done = await asyncio.wait_for(rig.engine.wait_for(job.id), 60)
            assert done.state is JobState.DONE, done.error
            assert states(rig, job.id)[:4] == [JobState.QUEUED, JobState.PREPARING, JobState.QUEUED, JobState.PREPARING]
            (item,) = done.inputs
            assert item.prepared_path and check_reference_video(probe(item.prepared_path)) == []

    asyncio.run(scenario())
