"""The preparing pipeline on the awkward clips the issues list: each is probed correctly or
refused with a clear message, and each fixable one becomes a file that passes every limit and
decodes. Also: the deep decode check, the cache (no re-encode on retry or restart),
cancellation, the 15 s total, and check_result_video."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import av
import pytest
from clipbank import make, text_as_mp4, truncated_faststart, write_clip

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.media import pipeline
from seedance_desktop.media.errors import ConformCancelled, MediaError
from seedance_desktop.media.pipeline import Verdict, allot_seconds, assess, cache_path, check_conformed, conform
from seedance_desktop.media.probe import UPLOAD_MAX_BYTES, check_reference_video, probe
from seedance_desktop.media.synth import make_audio, make_clip, make_image
from seedance_desktop.media.verify import check_result_video, verify_decodes

HAS_HEVC = "libx265" in av.codecs_available


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("awkward-clips")
    made = {name: make(name, folder) for name in ("30s_1080p", "4k_60fps", "vp9_webm", "320x240")}
    if HAS_HEVC:
        made["hevc_mov"] = write_clip(folder / "hevc.mov", duration=3.0, width=1280, height=720, codec="libx265")
    made["1s"] = write_clip(folder / "one-second.mp4", duration=1.0, width=854, height=480)
    made["truncated"] = truncated_faststart(folder / "truncated.mp4")
    made["text"] = text_as_mp4(folder / "notes.mp4")
    return made


FIXABLE = {
    "30s_1080p": "Will be conformed before upload: trimmed to 15 s, scaled to 1280x720, re-encoded as H.264.",
    "4k_60fps": "Will be conformed before upload: scaled to 1280x720, re-encoded as H.264.",
    "vp9_webm": "Will be conformed before upload: re-encoded as H.264.",
    "320x240": "Will be conformed before upload: scaled to 768x576, re-encoded as H.264.",
    "hevc_mov": "Will be conformed before upload: re-encoded as H.264.",
}
REFUSED = {
    "1s": "It is 1.0 s long; reference videos must be at least 2 s. Use a clip of 2 to 15 s.",
    "truncated": "It does not decode to the end (decoding stops at",
    "text": "It cannot be read as a video: the file is damaged or is not a video at all. Choose another file.",
}


def _need(clips: dict[str, Path], name: str) -> Path:
    if name not in clips:
        pytest.skip("the bundled FFmpeg has no HEVC encoder (libx265)")
    return clips[name]


@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_fixable_clip_is_planned_with_plain_words(clips: dict[str, Path], name: str) -> None:
    finding = assess(_need(clips, name), MediaKind.VIDEO)
    assert finding.verdict is Verdict.CONFORM
    assert finding.summary == FIXABLE[name]


def test_probe_reads_the_awkward_clips(clips: dict[str, Path]) -> None:
    uhd = probe(clips["4k_60fps"])
    assert (uhd.width, uhd.height, round(uhd.fps or 0)) == (3840, 2160, 60)
    assert probe(clips["vp9_webm"]).video_codec == "vp9"
    long = probe(clips["30s_1080p"])
    assert abs((long.duration or 0) - 30.0) < 0.1 and long.width == 1920
    truncated = probe(clips["truncated"])  # the index promises the whole clip ...
    assert abs((truncated.duration or 0) - 5.0) < 0.1 and truncated.width == 1280
    with pytest.raises(MediaError):
        probe(clips["text"])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unfixable_clip_is_refused_with_a_clear_message(clips: dict[str, Path], name: str) -> None:
    finding = assess(clips[name], MediaKind.VIDEO)
    assert finding.verdict is Verdict.REJECT
    assert finding.summary.startswith(REFUSED[name])


def test_truncated_file_fails_the_deep_check_with_what_to_do(clips: dict[str, Path]) -> None:
    with pytest.raises(MediaError) as caught:
        verify_decodes(clips["truncated"])
    assert "truncated or damaged" in caught.value.user_message and "of 5.0 s" in caught.value.user_message
    finding = assess(clips["truncated"], MediaKind.VIDEO)
    assert "Export or copy it again." in finding.reason


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_fixable_clip_becomes_an_upload_within_every_limit(clips: dict[str, Path], name: str, tmp_path: Path) -> None:
    source = _need(clips, name)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    finding = assess(source, MediaKind.VIDEO)
    assert finding.plan is not None
    seen: list[float] = []
    out = conform(source, finding.plan, tmp_path / "cache", progress=seen.append, cancel=threading.Event())
    info = probe(out)
    assert check_reference_video(info) == []
    assert info.video_codec == "h264" and info.size_bytes <= UPLOAD_MAX_BYTES and out.suffix == ".mp4"
    assert (info.width, info.height) == (finding.plan.width, finding.plan.height)
    verify_decodes(out, info)
    check_conformed(out, finding.plan)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before  # the original is untouched
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [out.name]  # no .part left


@pytest.mark.timeout(120)
def test_conformed_copy_is_reused_on_retry_and_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_clip(tmp_path / "small.mp4", duration=2.5, width=320, height=240)
    finding = assess(source, MediaKind.VIDEO)
    assert finding.plan is not None
    encodes: list[Path] = []
    real = pipeline.conform_video

    def counting(src: Path, dst: Path, **kw: object) -> object:
        encodes.append(Path(dst))
        return real(src, dst, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "conform_video", counting)
    first = conform(source, finding.plan, tmp_path / "cache")
    again = conform(source, assess(source, MediaKind.VIDEO).plan, tmp_path / "cache")  # type: ignore[arg-type]
    assert first == again and len(encodes) == 1
    assert first == cache_path(source, finding.plan, tmp_path / "cache")
    # A different plan (e.g. a shorter allotment) or a changed source is a new file.
    other = pipeline.plan_video(probe(source), max_seconds=2.0)
    assert other is not None and cache_path(source, other, tmp_path / "cache") != first
    source.write_bytes(source.read_bytes() + b"\0")
    assert cache_path(source, finding.plan, tmp_path / "cache") != first


@pytest.mark.timeout(120)
def test_cancel_stops_conforming_and_leaves_nothing(tmp_path: Path) -> None:
    source = write_clip(tmp_path / "long.mp4", duration=8.0, width=320, height=240)
    finding = assess(source, MediaKind.VIDEO)
    assert finding.plan is not None
    cancel = threading.Event()

    def progress(fraction: float) -> None:
        if fraction > 0.05:
            cancel.set()

    with pytest.raises(ConformCancelled):
        conform(source, finding.plan, tmp_path / "cache", progress=progress, cancel=cancel)
    assert list((tmp_path / "cache").iterdir()) == []


def test_clips_share_the_15_s_total_in_order() -> None:
    assert allot_seconds([10.0, 10.0]) == [13.0, 5.0]
    assert allot_seconds([4.0, 4.0, 20.0]) == [11.0, 9.0, 7.0]
    assert allot_seconds([15.0, 5.0]) == [13.0, 2.0]
    assert allot_seconds([30.0]) == [15.0]


def test_images_and_audio_are_checked_and_planned(tmp_path: Path) -> None:
    assert assess(make_image(tmp_path / "ok.png", width=640, height=640), MediaKind.IMAGE).verdict is Verdict.OK
    tiny = assess(make_image(tmp_path / "tiny.png", width=200, height=200), MediaKind.IMAGE)
    assert tiny.verdict is Verdict.CONFORM and tiny.summary.endswith("scaled to 300x300, saved as PNG.")
    wide = assess(make_image(tmp_path / "wide.png", width=1800, height=400), MediaKind.IMAGE)
    assert wide.verdict is Verdict.CONFORM and wide.summary.endswith("padded to 5:2, saved as PNG.")
    assert assess(make_audio(tmp_path / "ok.wav", duration=3.0), MediaKind.AUDIO).verdict is Verdict.OK
    long = assess(make_audio(tmp_path / "long.wav", duration=16.0), MediaKind.AUDIO)
    assert long.verdict is Verdict.CONFORM and long.summary.endswith("trimmed to 15 s, converted to MP3.")
    sound_as_video = assess(tmp_path / "ok.wav", MediaKind.VIDEO)
    assert sound_as_video.verdict is Verdict.REJECT and "only sound" in sound_as_video.reason


def _refusal(path: Path, expected: float) -> str:
    with pytest.raises(MediaError) as caught:
        check_result_video(path, expected_seconds=expected)
    return caught.value.user_message


@pytest.mark.timeout(60)
def test_check_result_video(tmp_path: Path, clips: dict[str, Path]) -> None:
    good = make_clip(tmp_path / "result.mp4", duration=4.0, audio=False)
    assert check_result_video(good, expected_seconds=4).width == 854
    assert "decodes to 4.0 s where about 10 s was expected" in _refusal(good, 10)
    assert "is not a video" in _refusal(clips["text"], 5)
    assert "has no video stream" in _refusal(make_audio(tmp_path / "sound.wav", duration=3.0), 3)
    assert "does not decode to the end" in _refusal(clips["truncated"], 5)
