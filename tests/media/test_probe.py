"""Probing local media and checking it against the upstream input limits (SPEC §3)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.media.errors import MediaError
from seedance_desktop.media.probe import (
    MediaInfo,
    check_audio,
    check_audio_set,
    check_image,
    check_reference_video,
    check_video_set,
    probe,
)
from seedance_desktop.media.synth import make_audio, make_clip, make_image

MB = 1_000_000


@pytest.fixture(scope="module")
def video_info(tmp_path_factory: pytest.TempPathFactory) -> MediaInfo:
    """One probed 4 s 480p clip shared by the module (limit checks only vary its fields)."""
    return probe(make_clip(tmp_path_factory.mktemp("probe") / "clip.mp4", duration=4.0))


def test_probe_video(video_info: MediaInfo) -> None:
    info = video_info
    clip = info.path
    assert info.kind is MediaKind.VIDEO and clip.name == "clip.mp4"
    assert info.duration == pytest.approx(4.0, abs=0.1)
    assert (info.width, info.height, info.fps) == (854, 480, 24.0)
    assert info.video_codec == "h264" and info.has_audio and info.audio_codec == "aac"
    assert info.size_bytes == clip.stat().st_size and info.pixels == 854 * 480
    assert check_reference_video(info) == []


def test_probe_image_and_audio(tmp_path: Path) -> None:
    image = probe(make_image(tmp_path / "i.png", width=800, height=600))
    assert image.kind is MediaKind.IMAGE and (image.width, image.height) == (800, 600)
    assert image.duration is None and image.fps is None and image.video_codec == "png"
    assert check_image(image) == []
    audio = probe(make_audio(tmp_path / "a.wav", duration=2.0))
    assert audio.kind is MediaKind.AUDIO and audio.duration == pytest.approx(2.0, abs=0.05)
    assert audio.width is None and audio.has_audio
    assert check_audio(audio) == [] and check_audio_set([audio]) == []


def test_probe_errors(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as info:
        probe(tmp_path / "missing.mp4")
    assert "missing.mp4" in info.value.user_message
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00garbage" * 200)
    with pytest.raises(MediaError) as info:
        probe(junk)
    assert "junk.mp4" in info.value.user_message
    with pytest.raises(MediaError):
        probe(tmp_path)


@pytest.mark.parametrize(
    ("changes", "expect"),
    [
        ({"duration": 1.5}, "at least 2 s"),
        ({"duration": 20.0}, "at most 15 s"),
        ({"width": 320, "height": 240}, "too small"),
        ({"width": 1920, "height": 1080}, "too large"),
        ({"fps": 15.0}, "24 to 60 fps"),
        ({"fps": 120.0}, "24 to 60 fps"),
        ({"size_bytes": 17 * 1024 * 1024}, "16 MiB"),
        ({"path": Path("/x/clip.mkv"), "container": "matroska,webm"}, "MP4 or MOV"),
        ({"kind": MediaKind.IMAGE}, "not a video"),
    ],
)
def test_reference_video_limits(video_info: MediaInfo, changes: dict, expect: str) -> None:
    problems = check_reference_video(replace(video_info, **changes))
    assert len(problems) == 1 and expect in problems[0], problems


def test_reference_video_bounds_are_inclusive(video_info: MediaInfo) -> None:
    assert check_reference_video(replace(video_info, width=640, height=640, duration=2.0, fps=60.0)) == []
    assert check_reference_video(replace(video_info, width=1288, height=720, duration=15.0, fps=24.0)) == []
    assert check_reference_video(replace(video_info, width=1290, height=720)) != []


def test_video_set(video_info: MediaInfo) -> None:
    assert check_video_set([video_info] * 3) == []
    assert "at most 3" in check_video_set([video_info] * 4)[0]
    long = replace(video_info, duration=8.0)
    assert "15 s in total" in check_video_set([long, long])[0]
    big = replace(video_info, size_bytes=25 * MB)
    assert "under 50.0 MB" in check_video_set([big, big])[0]


def test_image_limits(tmp_path: Path) -> None:
    image = probe(make_image(tmp_path / "i.png", width=640, height=480))
    assert check_image(replace(image, width=200, height=200))[0].endswith("each side must be 300 to 6000 pixels.")
    assert "aspect ratio" in check_image(replace(image, width=3000, height=1000))[0]
    assert "at most 30.0 MB" in check_image(replace(image, size_bytes=31 * MB))[0]
    assert check_image(replace(image, path=Path("/x/pic.heic"), video_codec="hevc"))[0].startswith("pic.heic: images must")
    assert check_image(replace(image, width=6000, height=2400)) == []
    assert check_image(replace(image, kind=MediaKind.VIDEO)) == ["i.png is not an image."]


def test_audio_limits(tmp_path: Path) -> None:
    audio = probe(make_audio(tmp_path / "a.wav", duration=1.0))
    six = replace(audio, duration=6.0)
    assert check_audio_set([six, six]) == []
    assert any("15 s in total" in p for p in check_audio_set([six, six, six]))
    assert any("at most 3" in p for p in check_audio_set([audio] * 4))
    assert any("under 15.0 MB" in p for p in check_audio_set([replace(audio, size_bytes=8 * MB)] * 2))
    assert "MP3 or WAV" in check_audio(replace(audio, path=Path("/x/a.ogg")))[0]
