"""Conform an audio input: cut to the user's selection (or the seconds left of the 15 s total)
and convert to MP3 (SPEC section 3: mp3/wav, 15 s in all, under 15 MB).

A 15 s MP3 at 192 kbit/s is about 360 KB, far under the limit, so one pass always fits.
Blocking: call from a worker thread; PyAV is imported inside the function (start-up time).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from seedance_desktop.media.errors import ConformCancelled, MediaError

MP3_BITRATE = 192_000
_RATE = 44_100


@dataclass(frozen=True)
class AudioPlan:
    """Keep ``max_seconds`` from ``start`` and write MP3."""

    start: float
    max_seconds: float
    changes: tuple[str, ...]

    suffix: str = ".mp3"

    def describe(self) -> str:
        text = ", ".join(self.changes)
        return text[:1].upper() + text[1:]

    def key(self) -> str:
        return f"a1:{self.start:.3f}+{self.max_seconds:.3f}:mp3@{MP3_BITRATE}"


def conform_audio(src: str | Path, dst: str | Path, plan: AudioPlan, *,
                  progress: Callable[[float], None] | None = None, cancel: threading.Event | None = None) -> Path:
    """Write ``plan``'s span of ``src`` as MP3 to ``dst`` (via ``dst.part``)."""
    import av

    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + ".part")
    limit = int(plan.max_seconds * _RATE)
    written = 0
    skip: int | None = None
    try:
        with av.open(str(src)) as source, av.open(str(part), "w", format="mp3") as sink:
            ain = source.streams.audio[0]
            out = sink.add_stream("libmp3lame", rate=_RATE)
            out.layout = "stereo"
            out.bit_rate = MP3_BITRATE
            resampler = av.AudioResampler(format="s16p", layout="stereo", rate=_RATE)
            if plan.start > 0:
                source.seek(int(plan.start / (ain.time_base or Fraction(1, 1_000_000))), stream=ain, backward=True)
            for frame in source.decode(ain):
                if cancel is not None and cancel.is_set():
                    raise ConformCancelled()
                if skip is None:
                    skip = max(0, round((plan.start - (frame.time or 0.0)) * _RATE))
                for chunk in resampler.resample(frame):
                    data = chunk.to_ndarray()
                    if skip:
                        drop = min(skip, data.shape[1])
                        skip -= drop
                        data = data[:, drop:]
                    data = data[:, : max(0, limit - written)]
                    if data.shape[1] == 0:
                        continue
                    cut = av.AudioFrame.from_ndarray(data.copy(order="C"), format="s16p", layout="stereo")
                    cut.sample_rate, cut.pts, cut.time_base = _RATE, written, Fraction(1, _RATE)
                    written += data.shape[1]
                    for packet in out.encode(cut):
                        sink.mux(packet)
                if progress is not None:
                    progress(min(0.99, written / max(1, limit)))
                if written >= limit:
                    break
            for packet in out.encode(None):
                sink.mux(packet)
        if written == 0:
            raise MediaError(f"{src}: no sound in the selection", user_message=f"{src.name} has no sound in the chosen span.")
        os.replace(part, dst)
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(f"convert {src}: {exc}", user_message=f"{src.name} could not be converted to MP3 ({exc}).") from exc
    finally:
        part.unlink(missing_ok=True)
    if progress is not None:
        progress(1.0)
    return dst


__all__ = ["AudioPlan", "conform_audio"]
