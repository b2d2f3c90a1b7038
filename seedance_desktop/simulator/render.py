"""Make the simulator's "generated" video: a real H.264 MP4 derived from the first reference.

The output has the requested ratio, resolution and duration, is visibly transformed in a way
derived from the seed (mirror, channel swap, posterise) and carries a "SIMULATED" band so nobody
mistakes it for a real generation. Rendering is CPU work for PyAV: the server runs it in a worker
thread, and :class:`RenderCache` makes identical requests (same source bytes, parameters and
seed) render once, which is what lets a benchmark push 200 identical jobs through.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from seedance_desktop.media.synth import write_png, write_tone

FPS = 24
AUDIO_RATE = 44_100
_SHORT_SIDE = {"480p": 480, "720p": 720, "1080p": 1080}


def output_size(ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height): the short side is the resolution's number, the long side follows the
    ratio rounded to an even number (H.264 with 4:2:0 needs even sides)."""
    short = _SHORT_SIDE[resolution]
    a, b = (int(x) for x in ratio.split(":"))
    if a >= b:
        return _even(short * a / b), short
    return short, _even(short * b / a)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


@dataclass(frozen=True)
class RenderParams:
    ratio: str
    resolution: str
    duration: int
    seed: int
    generate_audio: bool
    return_last_frame: bool
    source_is_image: bool = False

    def cache_key(self, source_sha256: str) -> str:
        blob = json.dumps({"source": source_sha256, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RenderResult:
    video_path: Path
    last_frame_path: Path | None
    width: int
    height: int
    size: int
    sha256: str


# --- the look -------------------------------------------------------------------------------

# 5x7 bitmap glyphs for the band text (no Pillow dependency for nine letters).
_GLYPHS = {
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    "U": ["10001", "10001", "10001", "10001", "10001", "10001", "01110"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
    "D": ["11110", "10001", "10001", "10001", "10001", "10001", "11110"],
}


def _band(width: int, height: int, text: str = "SIMULATED") -> np.ndarray:
    """A dark band with white block letters, sized to the frame."""
    band_h = max(16, height // 8)
    band = np.full((band_h, width, 3), 24, dtype=np.uint8)
    scale = max(1, min(band_h * 6 // 10 // 7, width // (len(text) * 6 + 2)))
    text_w = len(text) * 6 * scale
    x0 = max(0, (width - text_w) // 2)
    y0 = (band_h - 7 * scale) // 2
    for i, char in enumerate(text):
        glyph = np.array([[c == "1" for c in row] for row in _GLYPHS[char]])
        big = np.kron(glyph, np.ones((scale, scale), dtype=bool))
        gx = x0 + i * 6 * scale
        region = band[y0 : y0 + big.shape[0], gx : gx + big.shape[1]]
        region[big[: region.shape[0], : region.shape[1]]] = (255, 255, 255)
    return band


@dataclass(frozen=True)
class Look:
    """The seed's visible transformation."""

    mirror: bool
    channels: tuple[int, int, int]
    levels: int

    @classmethod
    def from_seed(cls, seed: int) -> "Look":
        rng = random.Random(seed)
        # Every channel order except the identity, so each seed visibly changes the colours.
        perms: list[tuple[int, int, int]] = [(0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
        return cls(mirror=rng.random() < 0.5, channels=rng.choice(perms), levels=rng.choice((3, 4, 6)))

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        out = rgb[:, ::-1] if self.mirror else rgb
        out = out[..., list(self.channels)]
        step = 256 // self.levels
        return ((out // step) * step + step // 2).astype(np.uint8)


# --- decoding the source --------------------------------------------------------------------

def _cover(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """Scale ``frame`` to cover width x height, then centre-crop: the ratio changes without bars."""
    scale = max(width / frame.width, height / frame.height)
    sw, sh = max(width, _even(frame.width * scale)), max(height, _even(frame.height * scale))
    rgb = frame.reformat(width=sw, height=sh, format="rgb24").to_ndarray()
    x0, y0 = (sw - width) // 2, (sh - height) // 2
    return rgb[y0 : y0 + height, x0 : x0 + width]


def _source_frames(source: Path, width: int, height: int, is_image: bool) -> Iterator[np.ndarray]:
    """Frames of the source at the output size, looping a short source; an image yields a slow pan."""
    if is_image:
        with av.open(str(source)) as container:
            first = next(container.decode(video=0))
        big = _cover(first, width + width // 10, height + height // 10)
        for index in itertools.count():
            dx = (index * 2) % (width // 10 + 1)
            yield big[: height, dx : dx + width]
    produced = 0
    while True:
        with av.open(str(source)) as container:
            for frame in container.decode(video=0):
                produced += 1
                yield _cover(frame, width, height)
        if produced == 0:
            raise ValueError("the reference video has no decodable frames")


# --- encoding -------------------------------------------------------------------------------

class RenderCancelled(Exception):
    """The simulator is shutting down; the partial output was removed."""


def render(source: Path, params: RenderParams, dest: Path, last_frame_dest: Path | None = None,
           cancel: threading.Event | None = None) -> RenderResult:
    """Render synchronously (call from a worker thread). Writes ``dest`` (and the PNG) atomically.

    ``cancel`` is checked between frames so shutting down never waits for a long 1080p render.
    """
    tmp = dest.with_name(dest.name + ".tmp")
    try:
        return _render(source, params, dest, tmp, last_frame_dest, cancel)
    finally:
        tmp.unlink(missing_ok=True)


def _render(source: Path, params: RenderParams, dest: Path, tmp: Path, last_frame_dest: Path | None,
            cancel: threading.Event | None) -> RenderResult:
    width, height = output_size(params.ratio, params.resolution)
    look = Look.from_seed(params.seed)
    band = _band(width, height)
    frames_total = params.duration * FPS
    last = None
    with av.open(str(tmp), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "28", "preset": "ultrafast"}
        audio = None
        if params.generate_audio:
            audio = container.add_stream("aac", rate=AUDIO_RATE)
            audio.layout = "mono"
        frames = _source_frames(source, width, height, params.source_is_image)
        for index in range(frames_total):
            if cancel is not None and cancel.is_set():
                raise RenderCancelled()
            rgb = look.apply(next(frames))
            rgb[height - band.shape[0] :] = band
            # A progress tick on the band makes the time base visible when scrubbing.
            tick = index * width // max(1, frames_total - 1)
            rgb[height - 3 :, : max(1, tick)] = (255, 200, 0)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in video.encode(frame):
                container.mux(packet)
            last = rgb
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            write_tone(container, audio, params.duration, 180.0 + (params.seed % 12) * 30, tremolo_hz=0.5)
    os.replace(tmp, dest)
    png_path = None
    if params.return_last_frame and last is not None:
        png_path = last_frame_dest or dest.with_suffix(".png")
        _write_png(last, png_path)
    data = dest.read_bytes()
    return RenderResult(dest, png_path, width, height, len(data), hashlib.sha256(data).hexdigest())


def _write_png(rgb: np.ndarray, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write_png(rgb, tmp)
    os.replace(tmp, path)


# --- cache ----------------------------------------------------------------------------------

class RenderCache:
    """Renders keyed by (source hash, parameters, seed), kept under ``directory``.

    Thread-safe: concurrent requests for the same key wait for the one render in progress
    instead of repeating it. ``render_count`` tells tests how many real renders happened.
    """

    def __init__(self, directory: Path, renderer: Callable[..., RenderResult] = render) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._renderer = renderer
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._done: dict[str, RenderResult] = {}
        self.render_count = 0
        #: Set by the simulator on shutdown: renders in progress stop at the next frame.
        self.cancel = threading.Event()

    def get(self, source: Path, source_sha256: str, params: RenderParams) -> RenderResult:
        key = params.cache_key(source_sha256)
        with self._lock:
            if key in self._done:
                return self._done[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._done:
                    return self._done[key]
            result = self._renderer(source, params, self._dir / f"{key}.mp4", self._dir / f"{key}.png",
                                    cancel=self.cancel)
            with self._lock:
                self._done[key] = result
                self.render_count += 1
            return result
