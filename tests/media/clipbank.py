"""Awkward clips for the preparing step, made at run time with PyAV.

Kept cheap on two cores: a handful of distinct pictures are built once and encoded in a
cycle at a low bitrate, so even the 30 s 1080p clip takes a few seconds to write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from seedance_desktop.media.synth import write_tone


def _pictures(width: int, height: int, count: int = 6) -> list[np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width]
    base = (xs * 255 // max(1, width - 1)).astype(np.uint8)
    shade = (ys * 255 // max(1, height - 1)).astype(np.uint8)
    pictures = []
    for n in range(count):
        rgb = np.empty((height, width, 3), dtype=np.uint8)
        rgb[..., 0] = base + n * 40
        rgb[..., 1] = shade
        rgb[..., 2] = n * 30
        box = n * width // (count + 1)
        rgb[height // 3: height // 3 + height // 5, box: box + width // 8] = 255
        pictures.append(rgb)
    return pictures


def write_clip(
    path: Path,
    *,
    duration: float,
    width: int,
    height: int,
    fps: int = 24,
    codec: str = "libx264",
    container: str | None = None,
    audio: bool = False,
    bitrate: int = 300_000,
    faststart: bool = False,
    gop: int | None = None,
) -> Path:
    """Write a clip; ``codec`` libx264, libx265 or libvpx-vp9 (the container follows the suffix)."""
    options = {"movflags": "+faststart"} if faststart else {}
    frames = max(1, round(duration * fps))
    with av.open(str(path), mode="w", format=container, options=options) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", **({"g": str(gop)} if gop else {})}
        elif codec == "libx265":
            stream.options = {"preset": "ultrafast", "x265-params": "log-level=error"}
            stream.codec_tag = "hvc1"
        elif codec == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        cached = [av.VideoFrame.from_ndarray(p, format="rgb24").reformat(format="yuv420p") for p in _pictures(width, height)]

        def pictures() -> Iterator[Any]:
            for index in range(frames):
                frame = cached[(index // 4) % len(cached)]
                frame.pts = index
                frame.time_base = Fraction(1, fps)
                yield frame

        _encode(out, stream, pictures(), codec=codec, audio=audio, duration=duration)
    return path


def _encode(out: Any, stream: Any, frames: Iterable[Any], *, codec: str, audio: bool, duration: float) -> None:
    """Encode ``frames`` into ``stream``, flush it, and add ``duration`` seconds of a tone
    (AAC, or Opus beside VP9) when ``audio``."""
    audio_stream = None
    if audio:
        audio_stream = out.add_stream("aac" if codec != "libvpx-vp9" else "libopus", rate=48_000)
        audio_stream.layout = "mono"
    for frame in frames:
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    if audio_stream is not None:
        write_tone(out, audio_stream, duration, 330.0)


def truncated_faststart(path: Path, *, keep: float = 0.5) -> Path:
    """A 5 s 1280x720 MP4 with its index at the front, cut to ``keep`` of its bytes: it still
    probes as a whole 5 s clip."""
    whole = write_clip(path.with_name(path.stem + "-whole.mp4"), duration=5.0, width=1280, height=720,
                       faststart=True, bitrate=800_000)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def text_as_mp4(path: Path) -> Path:
    path.write_text("This is not a video.\n" * 50, encoding="utf-8")
    return path


#: name -> (filename, factory kwargs) for the clips the issue lists.
CLIPS: dict[str, tuple[str, dict[str, object]]] = {
    "30s_1080p": ("long-1080p.mp4", {"duration": 30.0, "width": 1920, "height": 1080, "fps": 24}),
    "4k_60fps": ("uhd-60fps.mp4", {"duration": 2.5, "width": 3840, "height": 2160, "fps": 60, "bitrate": 1_500_000}),
    "vp9_webm": ("vp9.webm", {"duration": 3.0, "width": 640, "height": 640, "fps": 24, "codec": "libvpx-vp9"}),
    "320x240": ("tiny-320x240.mp4", {"duration": 3.0, "width": 320, "height": 240, "fps": 24}),
}


def make(name: str, folder: Path) -> Path:
    filename, kwargs = CLIPS[name]
    return write_clip(folder / filename, **kwargs)  # type: ignore[arg-type]


def frame_colour(index: int) -> tuple[int, int, int]:
    """The (red, green, blue) levels that name frame ``index`` of an :func:`indexed_clip`:
    steps of 12 (40 in blue) survive H.264 and colour conversion, so a decoded frame says
    which source frame it is (up to 2,000 frames)."""
    return (index % 20) * 12 + 8, (index // 20 % 20) * 12 + 8, (index // 400) * 40 + 40


def frame_index(red: float, green: float, blue: float) -> int:
    return round((blue - 40) / 40) * 400 + round((green - 8) / 12) * 20 + round((red - 8) / 12)


def index_of(frame: av.VideoFrame) -> int:
    """Which source frame a decoded frame of (a copy of) an indexed clip shows: read from the
    middle of the picture, away from any padding."""
    rgb = frame.to_ndarray(format="rgb24")
    h, w, _ = rgb.shape
    middle = rgb[h * 2 // 5: h * 3 // 5, w * 2 // 5: w * 3 // 5].reshape(-1, 3).mean(axis=0)
    return frame_index(*middle)


def indexed_clip(path: Path, *, duration: float, width: int, height: int, fps: int = 24,
                 codec: str = "libx264", rotation: int = 0, audio: bool = False) -> Path:
    """A clip whose every frame is one flat colour naming its index (see frame_colour), so a
    test can tell exactly which source frames a conformed copy starts and ends on. Flat
    frames encode to almost nothing, so even 4K or 30 s clips are quick to write."""
    frames = round(duration * fps)
    assert frames <= 2000
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "crf": "18"}
        elif codec == "libx265":
            stream.options = {"preset": "ultrafast", "crf": "18", "x265-params": "log-level=error"}
            stream.codec_tag = "hvc1"
        elif codec == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "crf": "20", "b": "0"}
        if rotation:
            stream.set_display_rotation(rotation)
        picture = np.empty((height, width, 3), dtype=np.uint8)

        def pictures() -> Iterator[Any]:
            for index in range(frames):
                red, green, blue = frame_colour(index)
                picture[..., 0], picture[..., 1], picture[..., 2] = red, green, blue
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, fps)
                yield frame

        _encode(out, stream, pictures(), codec=codec, audio=audio, duration=duration)
    return path
