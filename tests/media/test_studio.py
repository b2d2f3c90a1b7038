"""The media studio's core on the clips the issue lists (made here with PyAV): each is probed
correctly or refused with a clear message, and each fixable one, with a chosen selection and
framing, becomes a file that passes every limit, decodes, and starts and ends within one frame
of the selection (every source frame is a flat colour naming its index, see clipbank).

Also: images and audio conformed, the contact sheet and filmstrip, the edit's spelling."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import av
import pytest
from clipbank import index_of, indexed_clip, text_as_mp4, truncated_faststart

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.media.contact_sheet import contact_sheet, filmstrip
from seedance_desktop.media.edit import Framing, Selection
from seedance_desktop.media.errors import MediaError
from seedance_desktop.media.pipeline import Verdict, assess, conform
from seedance_desktop.media.probe import IMAGE_ASPECT, IMAGE_SIDE, check_audio, check_image, check_reference_video, probe
from seedance_desktop.media.synth import make_audio, make_image
from seedance_desktop.media.verify import verify_decodes

HAS_HEVC = "libx265" in av.codecs_available

#: name -> (file name, indexed_clip kwargs, selection, framing, expected displayed size)
FIXABLE: dict[str, tuple[str, dict[str, object], Selection, str | None]] = {
    "hevc_mov": ("hevc.mov", {"duration": 3.0, "width": 640, "height": 360, "codec": "libx265"},
                 Selection(0.5, 2.75), "crop:1:1"),
    "vp9_webm": ("vp9.webm", {"duration": 3.0, "width": 640, "height": 360, "codec": "libvpx-vp9"},
                 Selection(0.25, 2.5), None),
    "4k_60fps": ("uhd.mp4", {"duration": 2.5, "width": 3840, "height": 2160, "fps": 60},
                 Selection(0.2, 2.4), "crop:9:16"),
    "30s_audio": ("long.mp4", {"duration": 30.0, "width": 640, "height": 360, "audio": True},
                  Selection(10.0, 16.0), "crop:9:16"),
    "portrait_rotated": ("phone.mp4", {"duration": 3.0, "width": 640, "height": 360, "rotation": 90},
                         Selection(0.5, 2.7), "pad:16:9"),
    "21_9": ("wide.mp4", {"duration": 3.0, "width": 1260, "height": 540, "fps": 30},
             Selection(1.0, 3.0), "pad:16:9"),
    "no_audio": ("silent.mp4", {"duration": 2.5, "width": 854, "height": 480, "fps": 25},
                 Selection(0.0, 2.5), "crop:16:9@100,40,600,338"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-clips")


def _clip(folder: Path, name: str) -> Path:
    if name == "hevc_mov" and not HAS_HEVC:
        pytest.skip("the bundled FFmpeg has no HEVC encoder (libx265)")
    filename, kwargs, _, _ = FIXABLE[name]
    path = folder / filename
    if not path.exists():
        indexed_clip(path, **kwargs)  # type: ignore[arg-type]
    return path


def _fps(kwargs: dict[str, object]) -> int:
    return int(kwargs.get("fps", 24))  # type: ignore[call-overload]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_a_fixable_clip_with_a_selection_and_framing_becomes_an_exact_valid_upload(
        folder: Path, name: str, tmp_path: Path) -> None:
    source = _clip(folder, name)
    _, kwargs, selection, framing_text = FIXABLE[name]
    framing = Framing.parse(framing_text) if framing_text else None
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    info = probe(source)
    assert info.duration == pytest.approx(float(kwargs["duration"]), abs=0.1)  # type: ignore[arg-type]
    assert info.rotation == kwargs.get("rotation", 0)
    finding = assess(source, MediaKind.VIDEO, selection=selection, framing=framing)
    assert finding.verdict is Verdict.CONFORM and finding.plan is not None, finding.summary
    out = conform(source, finding.plan, tmp_path / "cache", cancel=threading.Event())
    result = probe(out)
    assert check_reference_video(result) == [], check_reference_video(result)
    verify_decodes(out, result)
    fps = _fps(kwargs)
    frame = 1 / fps
    assert result.fps == pytest.approx(fps)
    assert abs((result.duration or 0) - selection.seconds) <= frame + 1e-6
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
        audio_seconds = (float(container.streams.audio[0].duration * container.streams.audio[0].time_base)
                         if container.streams.audio else None)
    first, last = index_of(frames[0]), index_of(frames[-1])
    # Sample and hold: the first frame is the one on screen at the start, the last the one on
    # screen a frame before the end.
    assert abs(first * frame - selection.start) < frame + 1e-6, (first, selection)
    assert abs((last + 1) * frame - selection.end) < frame + 1e-6, (last, selection)
    assert abs(len(frames) - selection.seconds * fps) < 1
    if framing is not None:
        aspect = result.width / result.height  # type: ignore[operator]
        assert aspect == pytest.approx(framing.aspect, rel=0.02)
        if framing.mode.value == "pad":  # black bars where the picture does not reach
            assert frames[0].to_ndarray(format="rgb24")[:4, :4].max() < 40
    if kwargs.get("audio"):
        assert result.has_audio and audio_seconds == pytest.approx(selection.seconds, abs=0.05)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before  # never touches the original


def test_rotated_clip_is_probed_with_its_display_size(folder: Path) -> None:
    info = probe(_clip(folder, "portrait_rotated"))
    assert (info.width, info.height, info.display_size) == (640, 360, (360, 640))


@pytest.fixture(scope="module")
def refused(folder: Path) -> dict[str, Path]:
    return {
        "1s": indexed_clip(folder / "one-second.mp4", duration=1.0, width=854, height=480),
        "truncated": truncated_faststart(folder / "truncated.mp4"),
        "text": text_as_mp4(folder / "notes.mp4"),
        "audio_only": make_audio(folder / "voice.wav", duration=3.0),
    }


REFUSED = {
    "1s": "It is 1.0 s long; reference videos must be at least 2 s.",
    "truncated": "It does not decode to the end",
    "text": "It cannot be read as a video: the file is damaged or is not a video at all. Choose another file.",
    "audio_only": "It holds only sound, no picture. Choose a video file.",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_an_unfixable_clip_is_refused_with_a_clear_message(refused: dict[str, Path], name: str) -> None:
    finding = assess(refused[name], MediaKind.VIDEO)
    assert finding.verdict is Verdict.REJECT and finding.reason.startswith(REFUSED[name])


def test_a_selection_outside_the_clip_is_refused_with_what_to_do(folder: Path) -> None:
    source = _clip(folder, "no_audio")
    late = assess(source, MediaKind.VIDEO, selection=Selection(2.0, 9.0))
    assert late.verdict is Verdict.REJECT and "choose a start before 0.5 s" in late.reason
    short = assess(source, MediaKind.VIDEO, selection=Selection(0.0, 1.5))
    assert short.verdict is Verdict.REJECT and "shorter than 2 s" in short.reason
    outside = assess(source, MediaKind.VIDEO, framing=Framing.parse("crop:1:1@900,500,100,100"))
    assert outside.verdict is Verdict.REJECT and "outside the 854x480 picture" in outside.reason


def test_the_default_selection_is_the_first_seconds_that_fit(folder: Path) -> None:
    plan = assess(_clip(folder, "30s_audio"), MediaKind.VIDEO, max_seconds=7.0).plan
    assert plan is not None and (plan.start, plan.max_seconds) == (0.0, 7.0)
    assert plan.describe().startswith("Trimmed to 7 s")


def test_the_edit_spelling_round_trips_and_bad_text_says_how_to_write_it() -> None:
    assert Selection.parse("10-16") == Selection(10.0, 16.0) and Selection(10, 16.5).text() == "10-16.5"
    for text in ("crop:9:16", "pad:16:9", "crop:1:1@10,20,300,300"):
        assert Framing.parse(text).text() == text
    with pytest.raises(MediaError) as caught:
        Selection.parse("ten to sixteen")
    assert "e.g. 10-16" in caught.value.user_message
    with pytest.raises(MediaError) as caught:
        Selection.parse("16-10")
    assert "before the end" in caught.value.user_message
    with pytest.raises(MediaError) as caught:
        Framing.parse("zoom:9:16")
    assert "crop:W:H" in caught.value.user_message


# ------------------------------------------------------------------------------ images, audio


@pytest.mark.parametrize(("size", "framing", "expected"), [
    ((200, 200), None, (300, 300)),            # too small: scaled up
    ((1500, 300), None, (1500, 600)),          # aspect 5.0: padded to 5:2
    ((900, 600), "crop:9:16", (338, 600)),     # the user's crop
])
def test_an_image_is_conformed_into_the_limits(tmp_path: Path, size: tuple[int, int], framing: str | None,
                                               expected: tuple[int, int]) -> None:
    image = make_image(tmp_path / "still.png", width=size[0], height=size[1])
    finding = assess(image, MediaKind.IMAGE, framing=Framing.parse(framing) if framing else None)
    assert finding.verdict is Verdict.CONFORM and finding.plan is not None, finding.summary
    out = conform(image, finding.plan, tmp_path / "cache")
    info = probe(out)
    assert check_image(info) == [] and (info.width, info.height) == expected
    assert IMAGE_SIDE[0] <= min(expected) and IMAGE_ASPECT[0] <= expected[0] / expected[1] <= IMAGE_ASPECT[1]


def test_audio_is_cut_to_the_selection_and_converted_to_mp3(tmp_path: Path) -> None:
    sound = make_audio(tmp_path / "long.wav", duration=20.0)
    finding = assess(sound, MediaKind.AUDIO, selection=Selection(2.0, 8.0))
    assert finding.verdict is Verdict.CONFORM and finding.summary.endswith("cut to 2-8 s, converted to MP3.")
    assert finding.plan is not None
    out = conform(sound, finding.plan, tmp_path / "cache")
    info = probe(out)
    assert out.suffix == ".mp3" and check_audio(info) == [] and info.duration == pytest.approx(6.0, abs=0.1)
    whole = assess(sound, MediaKind.AUDIO)  # no selection: the first 15 s
    assert whole.plan is not None and whole.summary.endswith("trimmed to 15 s, converted to MP3.")


# ------------------------------------------------------------------------------ compare


def test_contact_sheet_lays_out_both_videos_at_the_same_moments(folder: Path, tmp_path: Path) -> None:
    reference = _clip(folder, "no_audio")
    strip = filmstrip(reference, 5, height=60)
    assert [p.shape for p in strip] == [(60, 107, 3)] * 5
    # Picture n of 5 is the frame at the middle of the n-th fifth of the clip (25 fps).
    duration = probe(reference).duration or 0.0
    shown = [index_of(av.VideoFrame.from_ndarray(p, format="rgb24")) for p in strip]
    assert all(abs(i / 25 - duration * (n + 0.5) / 5) <= 1 / 25 for n, i in enumerate(shown)), shown
    rotated = filmstrip(_clip(folder, "portrait_rotated"), 2, height=64)
    assert rotated[0].shape == (64, 36, 3)  # upright
    sheet = contact_sheet([reference, _clip(folder, "portrait_rotated")], tmp_path / "sheet.png", columns=4, height=50)
    info = probe(sheet)
    assert info.kind is MediaKind.IMAGE and info.height == 2 * 50 + 3 * 4 and info.width == 4 * 89 + 5 * 4
