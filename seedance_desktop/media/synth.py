"""Synthesise small test clips with PyAV: tests make their media at run time, and the bundled
sample clip is made by ``resources/make_sample_clip.py`` from the same function."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_clip(
    path: str | Path,
    *,
    duration: float = 3.0,
    width: int = 854,
    height: int = 480,
    fps: int = 24,
    audio: bool = True,
    seed: int = 0,
    crf: int = 28,
) -> Path:
    """Write an H.264/AAC MP4 with a moving colour pattern (distinct per ``seed``)."""
    path = Path(path)
    frames = max(1, round(duration * fps))
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.options = {"crf": str(crf), "preset": "ultrafast"}
        audio_stream = None
        if audio:
            audio_stream = container.add_stream("aac", rate=44_100)
            audio_stream.layout = "mono"
        ys, xs = np.mgrid[0:height, 0:width]
        base = (xs * 255 // max(1, width - 1)).astype(np.uint8)
        for index in range(frames):
            shift = (index * 4 + seed * 37) % 256
            rgb = np.empty((height, width, 3), dtype=np.uint8)
            rgb[..., 0] = base + shift
            rgb[..., 1] = (ys * 255 // max(1, height - 1)).astype(np.uint8)
            rgb[..., 2] = (seed * 53 + index * 2) % 256
            box = index * 5 % max(1, width - 40)
            rgb[height // 2 - 20 : height // 2 + 20, box : box + 40] = 255
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio_stream is not None:
            write_tone(container, audio_stream, duration, 220.0 + 20 * (seed % 10))
    return path


def write_tone(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    duration: float,
    hz: float,
    *,
    tremolo_hz: float = 0.0,
) -> None:
    """Encode and mux ``duration`` seconds of a mono sine tone into an open ``stream`` (its
    rate is the stream's), optionally with a slow tremolo, then flush the encoder."""
    rate = stream.rate or 44_100
    samples_total = int(duration * rate)
    chunk = 1024
    pts = 0
    while pts < samples_total:
        n = min(chunk, samples_total - pts)
        t = (np.arange(pts, pts + n) / rate).astype(np.float32)
        wave = 0.2 * np.sin(2 * math.pi * hz * t)
        if tremolo_hz:
            wave = wave * (0.6 + 0.4 * np.sin(2 * math.pi * tremolo_hz * t))
        data = wave.astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = pts
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
        pts += n
    for packet in stream.encode():
        container.mux(packet)


def make_image(path: str | Path, *, width: int = 640, height: int = 640, seed: int = 0) -> Path:
    """Write a PNG test image (a gradient, distinct per ``seed``)."""
    path = Path(path)
    ys, xs = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [(xs * 255 // max(1, width - 1)), (ys * 255 // max(1, height - 1)), np.full_like(xs, seed * 41 % 256)],
        axis=-1,
    ).astype(np.uint8)
    write_png(rgb, path)
    return path


def write_png(rgb: np.ndarray, path: Path) -> None:
    """Write an RGB24 array as a PNG through PyAV (no Pillow dependency)."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    with av.open(str(path), mode="w", format="image2") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height = frame.width, frame.height
        stream.pix_fmt = "rgb24"
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_audio(path: str | Path, *, duration: float = 3.0, hz: float = 440.0) -> Path:
    """Write a WAV tone (PCM) for audio-input tests."""
    path = Path(path)
    with av.open(str(path), mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=44_100)
        stream.layout = "mono"
        rate = 44_100
        t = np.arange(int(duration * rate)) / rate
        data = (0.3 * 32767 * np.sin(2 * math.pi * hz * t)).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
