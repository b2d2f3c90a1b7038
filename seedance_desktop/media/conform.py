"""Conform a local clip to the reference-video limits so it can be uploaded.

Trim to at most 15 s, scale into 409,600-927,408 pixels keeping the aspect ratio (even sides, as
yuv420p needs), clamp the frame rate into 24-60 fps (sample-and-hold: frames are dropped or
repeated by timestamp), and re-encode H.264 yuv420p (+ AAC when there is sound) in MP4 at a
bitrate computed to land under the File API's 16 MiB. If the first pass still comes out too big
(x264 rate control is approximate on short clips) it is encoded again at a lower bitrate.

This is CPU-heavy blocking work: run it in a worker thread. ``progress`` receives 0..1 (at most
once per percent); ``cancel`` (a threading.Event) stops it between frames and removes the partial
file. The output is written to ``dst.part`` and renamed, so ``dst`` is never half-written.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.media.edit import FrameMode, Framing, Selection, crop_rect, fit_inside, framed_size
from seedance_desktop.media.errors import ConformCancelled, MediaError
from seedance_desktop.media.probe import (
    UPLOAD_MAX_BYTES,
    VIDEO_EXTENSIONS,
    VIDEO_FPS,
    VIDEO_PIXELS,
    VIDEO_SECONDS,
    MediaInfo,
    probe,
)

if TYPE_CHECKING:
    # PyAV and numpy are imported where frames are encoded (see ``media.probe``): the window
    # and the engine import this module's limits and arithmetic at start-up.
    import av
    import numpy as np

Progress = Callable[[float], None]

AUDIO_BITRATE = 128_000
MAX_VIDEO_BITRATE = 8_000_000   # plenty for 720p; keeps small clips small
MIN_VIDEO_BITRATE = 150_000
_CONTAINER_MARGIN = 0.90        # MP4 overhead and rate-control overshoot
_ACCEPTED_CODECS = frozenset({"h264", "hevc"})


def needs_conform(info: MediaInfo, max_bytes: int = UPLOAD_MAX_BYTES) -> bool:
    """True when conform_video would fix something: too long, pixel count or fps out of range,
    too big to upload, not MP4/MOV, or a codec the service may not take. (A clip shorter than
    2 s cannot be fixed by conforming.)"""
    if info.kind is not MediaKind.VIDEO:
        return False
    if info.duration is not None and info.duration > VIDEO_SECONDS[1] + 0.05:
        return True
    pixels = info.pixels
    if pixels is None or not VIDEO_PIXELS[0] <= pixels <= VIDEO_PIXELS[1]:
        return True
    if info.fps is None or not VIDEO_FPS[0] - 0.01 <= info.fps <= VIDEO_FPS[1] + 0.01:
        return True
    if info.size_bytes > max_bytes:
        return True
    if info.path.suffix.lower() not in VIDEO_EXTENSIONS:
        return True
    return info.video_codec not in _ACCEPTED_CODECS


def target_size(width: int, height: int) -> tuple[int, int]:
    """Even dimensions whose pixel count lies inside VIDEO_PIXELS, as close as possible to the
    source aspect ratio and (within that) to the source size."""
    low, high = VIDEO_PIXELS
    pixels = width * height
    if low <= pixels <= high and width % 2 == 0 and height % 2 == 0:
        return width, height
    scale = math.sqrt(high / pixels) if pixels > high else math.sqrt(low / pixels) if pixels < low else 1.0
    aspect = width / height
    base_h = max(2, round(height * scale / 2) * 2)
    best: tuple[int, int, float, int, int] | None = None
    for h in range(max(2, base_h - 40), base_h + 42, 2):
        w = max(2, round(h * aspect / 2) * 2)
        if low <= w * h <= high:
            # Aspect error in 0.1 % buckets first (invisible), then macroblock-aligned sizes
            # (1920x1080 -> 1280x720, not 1284x722), then the size nearest the target.
            aligned = 0 if w % 16 == 0 and h % 16 == 0 else 1
            key = (int(abs(w / h - aspect) / aspect * 1000), aligned, abs(w * h - pixels * scale * scale), w, h)
            best = key if best is None or key < best else best
    if best is None:  # extreme aspect ratios: fall back to the plain rounding
        return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
    return best[3], best[4]


def target_fps(fps: float | None) -> Fraction:
    low, high = VIDEO_FPS
    if fps is None or fps <= 0:
        return Fraction(30)
    if fps < low:
        return Fraction(int(low))
    if fps > high:
        return Fraction(int(high))
    return Fraction(fps).limit_denominator(1001)


def conform_video(
    src: str | Path,
    dst: str | Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    max_bytes: int = UPLOAD_MAX_BYTES,
    max_seconds: float = VIDEO_SECONDS[1],
    selection: Selection | None = None,
    framing: Framing | None = None,
) -> MediaInfo:
    """Write a conforming copy of ``src`` to ``dst`` and return its probe. ``selection``: the
    seconds to keep (default: from the start); ``framing``: crop or pad to a ratio. Raises
    MediaError (unreadable input, or it cannot be made small enough) or ConformCancelled."""
    src, dst = Path(src), Path(dst)
    info = probe(src)
    if info.kind is not MediaKind.VIDEO or not info.width or not info.height:
        raise MediaError(f"{src} is not a video", user_message=f"{src.name} is not a video that can be converted.")
    start = selection.start if selection is not None else 0.0
    available = selection.seconds if selection is not None else (info.duration or max_seconds)
    duration = min(available, max_seconds)
    # Phone clips store a landscape picture plus a rotation flag; we write upright pixels
    # (the service may ignore the flag), so the output takes the displayed size.
    shown_w, shown_h = info.display_size or (info.width, info.height)
    width, height = target_size(*framed_size(shown_w, shown_h, framing))
    shape = Shape.of(shown_w, shown_h, width, height, info.rotation, framing)
    rate = target_fps(info.fps)
    audio_bits = AUDIO_BITRATE if info.has_audio else 0
    budget = int(max_bytes * 8 * _CONTAINER_MARGIN / max(duration, 0.5))
    video_bits = max(MIN_VIDEO_BITRATE, min(MAX_VIDEO_BITRATE, budget - audio_bits))
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + ".part")
    try:
        for attempt in range(4):
            _encode(src, part, shape, rate, start, duration, video_bits, info.has_audio, progress, cancel)
            size = part.stat().st_size
            if size <= max_bytes:
                os.replace(part, dst)
                if progress is not None:
                    progress(1.0)
                return probe(dst)
            # Too big: scale the bitrate by how far over we are, with a safety margin.
            video_bits = max(MIN_VIDEO_BITRATE // 2, int(video_bits * max_bytes / size * 0.85))
        raise MediaError(
            f"{src} could not be encoded under {max_bytes} bytes",
            user_message=f"{src.name} could not be made small enough to upload. Trim it to a shorter clip and try again.",
        )
    finally:
        if part.exists():
            part.unlink()


def _encode(
    src: Path,
    out: Path,
    shape: Shape,
    rate: Fraction,
    origin: float,
    duration: float,
    video_bits: int,
    with_audio: bool,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> None:
    """Encode ``duration`` seconds from ``origin`` (seconds of the source). Output frame ``i``
    shows the source frame on screen at ``origin + i / rate`` (sample and hold), so the first
    frame is the one shown at the selection's start and the last the one shown a frame before
    its end; audio is cut to the same span, sample-exact."""
    width, height = shape.width, shape.height
    reported = -1

    def report(t: float) -> None:
        nonlocal reported
        if progress is None:
            return
        # Later attempts (re-encodes) restart the bar from 0 rather than jumping back.
        percent = min(99, int(100 * t / duration))
        if percent > reported:
            reported = percent
            progress(percent / 100)

    import av

    try:
        with av.open(str(src)) as source, av.open(str(out), mode="w", format="mp4") as sink:
            vin = next(s for s in source.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
            ain = source.streams.audio[0] if with_audio and source.streams.audio else None
            vin.thread_type = "AUTO"
            vout = sink.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
            vout.bit_rate = video_bits
            vout.options = {
                "preset": "veryfast",
                "maxrate": str(int(video_bits * 1.2)),
                "bufsize": str(int(video_bits * 2)),
                "profile": "high",
                "movflags": "+faststart",
            }
            vout.codec_context.time_base = 1 / rate
            aout = None
            resampler = None
            if ain is not None:
                aout = sink.add_stream("aac", rate=48_000)
                aout.layout = "stereo"
                aout.bit_rate = AUDIO_BITRATE
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48_000)
            audio_limit = int(duration * 48_000)
            audio_written = 0
            audio_skip: int | None = None     # samples before the origin, once known
            if origin > 0:
                # Land on the keyframe before the origin; the frames up to it are decoded and
                # dropped (the last of them is held: it is on screen at the origin).
                source.seek(int(origin / (vin.time_base or Fraction(1, 1_000_000))), stream=vin, backward=True, any_frame=False)
            next_out = 0                      # index of the next output frame
            total_out = max(1, math.floor(duration * rate + 1e-6))
            held: av.VideoFrame | None = None  # last frame seen (sample-and-hold)
            start: float | None = None
            streams = [s for s in (vin, ain) if s is not None]
            video_done = False
            for packet in source.demux(*streams):
                if cancel is not None and cancel.is_set():
                    raise ConformCancelled()
                if packet.stream is ain and aout is not None and resampler is not None:
                    if audio_written >= audio_limit:
                        continue
                    for frame in packet.decode():
                        if not isinstance(frame, av.AudioFrame):
                            continue
                        if audio_skip is None:
                            audio_skip = max(0, round((origin - (frame.time or 0.0)) * 48_000))
                        for chunk in resampler.resample(frame):
                            if audio_skip > 0:
                                drop = min(audio_skip, chunk.samples)
                                audio_skip -= drop
                                if drop == chunk.samples:
                                    continue
                                chunk = _cut_audio(chunk, chunk.samples, offset=drop)
                            keep = min(chunk.samples, audio_limit - audio_written)
                            if keep <= 0:
                                break
                            if keep < chunk.samples:
                                chunk = _cut_audio(chunk, keep)
                            chunk.pts = audio_written
                            chunk.time_base = Fraction(1, 48_000)
                            audio_written += keep
                            for out_packet in aout.encode(chunk):
                                sink.mux(out_packet)
                    continue
                if packet.stream is not vin or video_done:
                    if video_done and (aout is None or audio_written >= audio_limit):
                        break
                    continue
                for frame in packet.decode():
                    if not isinstance(frame, av.VideoFrame) or frame.time is None:
                        continue
                    if start is None:
                        # Without a selection the clip starts at its first frame, whatever its
                        # timestamp (some containers start at 0.04 s or later).
                        start = frame.time if origin <= 0 else origin
                    t = frame.time - start
                    # Emit the held frame for every output slot before this frame's time.
                    while held is not None and next_out < total_out and next_out / rate < t - 1e-6:
                        _emit(sink, vout, held, next_out)
                        next_out += 1
                    held = shape.apply(frame)
                    report(max(0.0, t))
                    if t >= duration:
                        video_done = True
                        break
            while held is not None and next_out < total_out:
                _emit(sink, vout, held, next_out)
                next_out += 1
            for out_packet in vout.encode():
                sink.mux(out_packet)
            if aout is not None:
                for out_packet in aout.encode():
                    sink.mux(out_packet)
            if next_out == 0:
                raise MediaError(f"{src} has no decodable frames", user_message=f"{src.name} contains no readable pictures.")
    except av.FFmpegError as exc:
        raise MediaError(f"conform {src}: {exc}", user_message=f"{src.name} could not be converted ({exc}).") from exc


@dataclass(frozen=True)
class Shape:
    """How each decoded picture becomes an output picture: upright, framed, scaled."""

    width: int               # output size
    height: int
    rotation: int
    framing: Framing | None
    scaled: tuple[int, int]  # the whole displayed picture scaled (crop: then cut; pad: placed)
    offset: tuple[int, int]  # crop: top-left of the kept region in ``scaled``; pad: where it goes

    @classmethod
    def of(cls, shown_w: int, shown_h: int, width: int, height: int, rotation: int, framing: Framing | None) -> Shape:
        if framing is None:
            return cls(width, height, rotation, None, (width, height), (0, 0))
        if framing.mode is FrameMode.CROP:
            rect = crop_rect(shown_w, shown_h, framing)
            sx, sy = width / rect.width, height / rect.height
            scaled = (max(width, round(shown_w * sx)), max(height, round(shown_h * sy)))
            x = min(round(rect.x * sx), scaled[0] - width)
            y = min(round(rect.y * sy), scaled[1] - height)
            return cls(width, height, rotation, framing, scaled, (x, y))
        inner = fit_inside(shown_w, shown_h, width, height)
        return cls(width, height, rotation, framing, inner, ((width - inner[0]) // 2 // 2 * 2, (height - inner[1]) // 2 // 2 * 2))

    def apply(self, frame: av.VideoFrame) -> av.VideoFrame:
        import av

        if self.framing is None:
            return _upright(frame, self.rotation, self.width, self.height)
        return av.VideoFrame.from_ndarray(self.rgb(frame), format="rgb24").reformat(format="yuv420p")

    def rgb(self, frame: av.VideoFrame) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The output picture as RGB (also what still images are made of)."""
        import numpy as np

        rgb = _upright_rgb(frame, self.rotation, *self.scaled)
        if self.framing is None:
            return rgb
        if self.framing.mode is FrameMode.CROP:
            x, y = self.offset
            picture = np.ascontiguousarray(rgb[y:y + self.height, x:x + self.width])
        else:
            picture = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            x, y = self.offset
            picture[y:y + rgb.shape[0], x:x + rgb.shape[1]] = rgb
        return picture


def _upright_rgb(frame: av.VideoFrame, rotation: int, width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The displayed picture as RGB at ``width`` x ``height`` (scaled in the stored
    orientation, then turned: cheaper than turning first)."""
    import numpy as np

    turned = rotation % 180 == 90
    stored_w, stored_h = (height, width) if turned else (width, height)
    rgb: np.ndarray[Any, np.dtype[np.uint8]] = frame.to_ndarray(width=stored_w, height=stored_h, format="rgb24")  # type: ignore[assignment]
    if rotation % 360 == 0:
        return rgb
    return np.ascontiguousarray(np.rot90(rgb, k=(rotation // 90) % 4))


def _upright(frame: av.VideoFrame, rotation: int, width: int, height: int) -> av.VideoFrame:
    """Scale to (width, height) and convert to yuv420p, turning the pixels upright first when
    the clip carries a display rotation (counter-clockwise degrees, as numpy's rot90)."""
    import av

    if rotation % 360 == 0:
        return frame.reformat(width=width, height=height, format="yuv420p")
    return av.VideoFrame.from_ndarray(_upright_rgb(frame, rotation, width, height), format="rgb24").reformat(format="yuv420p")


def _emit(sink: av.container.OutputContainer, stream: av.video.stream.VideoStream, frame: av.VideoFrame, index: int) -> None:
    frame.pts = index
    frame.time_base = stream.codec_context.time_base
    for packet in stream.encode(frame):
        sink.mux(packet)


def _cut_audio(frame: av.AudioFrame, samples: int, *, offset: int = 0) -> av.AudioFrame:
    import av

    data = frame.to_ndarray()[:, offset:offset + samples]
    cut = av.AudioFrame.from_ndarray(data.copy(order="C"), format=frame.format.name, layout=frame.layout.name)
    cut.sample_rate = frame.sample_rate
    return cut
