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
    assert [a.verdict.value for a in found] == ["ok", "conform", "reject", "reject"]
    assert found[0].line == "Reference video 1 (ok.mp4): Passes every limit as it is."
    assert found[1].line == ("Reference video 2 (small.mp4): Will be conformed before upload: "
                             "scaled to 768x576, re-encoded as H.264.")
    assert found[2].line.startswith("Reference video 3 (broken.mp4): It cannot be read as a video")
    assert found[3].line.startswith("First frame (tiny.png): It is 200x200; each side must be 300 to 6000 pixels.")


def test_clips_over_15_s_together_are_trimmed_to_fit(tmp_path: Path) -> None:
    a = make_clip(tmp_path / "a.mp4", duration=10.0, audio=False, crf=40)
    b = make_clip(tmp_path / "b.mp4", duration=10.0, audio=False, crf=40)
    first, second = assess_inputs(MODEL, [video(a), video(b, 1)])
    assert first.ok  # 10 s: the first clip keeps what it has (2 s stay free for the second)
    assert second.line == "Reference video 2 (b.mp4): Will be conformed before upload: trimmed to 5 s, re-encoded as H.264."


def test_audio_over_15_s_together_is_rejected(tmp_path: Path) -> None:
    a = make_audio(tmp_path / "a.wav", duration=10.0)
    b = make_audio(tmp_path / "b.wav", duration=8.0)
    found = assess_inputs(MODEL, [InputFile("audio_urls", 0, str(a)), InputFile("audio_urls", 1, str(b))])
    assert found[0].ok and found[1].rejected
    assert "Audio 2 (b.wav): It is 8.0 s long, and with the audio before it" in found[1].line


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
