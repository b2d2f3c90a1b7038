"""The command line's media-studio options: FILE@START-END selections and --frame, and
``continue ID`` (live mode: a key from the environment and --base-url at a simulator)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedance_desktop import cli
from seedance_desktop.cli.errors import InputProblem
from seedance_desktop.cli.parser import EXIT_BAD_INPUT, EXIT_OK, build_parser
from seedance_desktop.cli.submit import prepare_request
from seedance_desktop.media.synth import make_audio, make_clip


def test_selections_and_framing_become_part_of_the_inputs(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", duration=3.0, audio=False)
    sound = make_audio(tmp_path / "voice.wav", duration=4.0)
    args = build_parser().parse_args([
        "submit", "--prompt", "[Video 1]", "--video", f"{clip}@0.5-2.5", "--audio", f"{sound}@1-3",
        "--frame", "crop", "--ratio", "9:16"])
    prepared = prepare_request(args, check_files=False)
    video, audio = prepared.inputs
    assert (video.local_path, video.trim_start, video.trim_end, video.framing) == (str(clip), 0.5, 2.5, "crop:9:16")
    assert (audio.trim_start, audio.trim_end, audio.framing) == (1.0, 3.0, None)
    assert prepared.request["video_urls"] == [None]

    bad = build_parser().parse_args(["submit", "--prompt", "p", "--video", f"{clip}@late", "--frame", "zoom"])
    with pytest.raises(InputProblem) as caught:
        prepare_request(bad, check_files=False)
    text = "\n".join(caught.value.lines)
    assert "write START-END in seconds, e.g. 10-16" in text and "--frame zoom" in text


def test_help_documents_the_selection_the_framing_and_continue(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["submit", "--help"])
    out = capsys.readouterr().out
    assert "FILE@10-16" in out and "--frame" in out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "continue" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_continue_queues_a_job_from_the_last_frame_with_the_same_settings(
        tmp_path: Path, simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    clip = make_clip(tmp_path / "clip.mp4", duration=3.0)
    common = ["--home", str(tmp_path / "home"), "--base-url", simulator.base_url, "--output-dir", str(tmp_path / "out")]
    code = cli.main([*common, "submit", "--wait", "--json", "--video", f"{clip}@0.5-2.5", "--prompt", "[Video 1] one",
                     "--duration", "4", "--resolution", "480p", "--seed", "11"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    first = json.loads(captured.out)
    assert first["inputs"][0]["trim_start"] == 0.5 and first["inputs"][0]["prepared_note"].startswith("Cut to 0.5-2.5 s")

    code = cli.main([*common, "continue", first["id"][:10], "--wait", "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    follow = json.loads(captured.out)
    assert follow["state"] == "done" and "continues job" in captured.err
    fields = {(i["field"], Path(i["local_path"]).suffix) for i in follow["inputs"]}
    assert fields == {("video_urls", ".mp4"), ("first_frame_image", ".png")}
    assert follow["request"]["seed"] == 11 and follow["request"]["prompt"] == "[Video 1] one"

    code = cli.main([*common, "continue", follow["id"][:10], "--prompt", "[Video 1] three"])
    assert code == EXIT_OK  # queued and sent (without --wait the command returns once sent)
    capsys.readouterr()
    code = cli.main([*common, "continue", "nope-no-such-job"])
    assert code == EXIT_BAD_INPUT
