"""Acceptance, command line in live mode (key from the environment, --base-url at a simulator
started here): the 30 s 1080p, 4K 60 fps, VP9 WebM and 320x240 clips are reported up front
with the shared words, queued as given, shown going through the PREPARING step with progress,
uploaded conformed and end done; the simulator received only uploads within the limits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prepare_live import FOUR, check_within_limits, make_four, record_uploads  # noqa: E402

from seedance_desktop import cli  # noqa: E402
from seedance_desktop.cli import output  # noqa: E402
from seedance_desktop.cli.parser import EXIT_BAD_INPUT, EXIT_OK  # noqa: E402
from seedance_desktop.core.job import InputFile  # noqa: E402
from seedance_desktop.core.prepare import assess_inputs  # noqa: E402

MODEL = "bytedance/seedance-2.0-fast-v2v"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_four_awkward_clips_are_prepared_uploaded_conformed_and_done(
    tmp_path: Path, simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    monkeypatch.setattr(output, "PROGRESS_INTERVAL", 0.0)  # print every progress tick the engine sends
    clips = make_four(tmp_path / "clips")
    received = record_uploads(simulator, tmp_path / "received")
    home = tmp_path / "home"
    common = ["--home", str(home), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]
    for number, name in enumerate(FOUR, start=1):
        clip = clips[name]
        code = cli.main([*common, "submit", "--wait", "--json", "--video", str(clip),
                         "--prompt", "[Video 1] as a watercolour", "--duration", "4", "--resolution", "480p"])
        captured = capsys.readouterr()
        assert code == EXIT_OK, captured.err
        (assessment,) = assess_inputs(MODEL, [InputFile("video_urls", 0, str(clip.resolve()))])
        assert assessment.will_conform
        assert f"--video: {assessment.line}" in captured.err  # the window's words, up front
        job = json.loads(captured.out)
        short = job["id"][:8]
        assert f"[{short}] Preparing" in captured.err
        assert f"[{short}] Preparing 100%" in captured.err
        assert assessment.plan is not None
        assert f"[{short}] Reference video 1 ({clip.name}): {assessment.plan.describe()}" in captured.err
        assert job["state"] == "done" and Path(job["video_path"]).is_file()
        states = [step["to"] for step in job["history"]]
        # Prepared first (no server slot), then back in the queue for a slot, then uploaded.
        assert states[:2] == ["queued", "preparing"] and states[-1] == "done"
        assert [s for s in states[2:4] if s != "queued"][0] == "uploading"
        (item,) = job["inputs"]
        assert item["local_path"] == str(clip.resolve()) and item["prepared_path"]
        assert item["prepared_note"] == assessment.plan.describe()
        assert len(received) == number
        check_within_limits(received[-1])
    assert simulator.simulator.request_counts()["submit"] == 4
    for clip in clips.values():
        assert clip.is_file()  # originals untouched (and still where they were)


@pytest.mark.timeout(60)
def test_truncated_and_fake_clips_are_refused_before_anything_is_queued(
    tmp_path: Path, simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clipbank import text_as_mp4, truncated_faststart

    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    truncated = truncated_faststart(tmp_path / "cut.mp4")
    fake = text_as_mp4(tmp_path / "fake.mp4")
    code = cli.main(["--home", str(tmp_path / "home"), "--base-url", simulator.base_url, "submit",
                     "--video", str(truncated), "--video", str(fake), "--prompt", "[Video 1] and [Video 2]"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--video: Reference video 1 (cut.mp4): It does not decode to the end" in err
    assert "--video: Reference video 2 (fake.mp4): It cannot be read as a video" in err
    assert simulator.simulator.request_counts().get("upload", 0) == 0
    assert simulator.simulator.request_counts().get("submit", 0) == 0
