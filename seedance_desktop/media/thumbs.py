"""Thumbnails and last frames as PNG bytes (Qt-free: the UI turns the bytes into a QPixmap).

Decoding is blocking: call these from a worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from seedance_desktop.media.errors import MediaError

if TYPE_CHECKING:
    import numpy as np


def _scaled(frame: av.VideoFrame, max_side: int | None) -> av.VideoFrame:
    """Scaled to fit ``max_side`` (never up) and turned upright for phone clips that carry a
    display rotation (counter-clockwise degrees)."""
    width, height = frame.width, frame.height
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    try:
        turns = (int(round(frame.rotation or 0)) // 90) % 4
    except (AttributeError, ValueError):
        turns = 0
    if turns == 0:
        return frame.reformat(width=width, height=height, format="rgb24")
    # numpy only for phone clips: importing it (~0.1 s, mostly holding the interpreter) would
    # stall the window while the form's first thumbnail is made.
    import numpy as np

    rgb: np.ndarray[Any, np.dtype[np.uint8]] = np.ascontiguousarray(
        np.rot90(frame.to_ndarray(width=width, height=height, format="rgb24"), k=turns))
    return av.VideoFrame.from_ndarray(rgb, format="rgb24")


def _png_bytes(frame: av.VideoFrame) -> bytes:
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = frame.width, frame.height, "rgb24"
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    if not packets:
        raise MediaError("png encoder produced nothing", user_message="A preview picture could not be made.")
    return b"".join(bytes(p) for p in packets)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {path}: {exc}", user_message=f"{path.name} cannot be opened for a preview.") from exc


def _picture_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    for stream in container.streams.video:
        return stream
    raise MediaError(f"{path} has no picture", user_message=f"{path.name} has no picture to preview.")


def thumbnail_png(path: str | Path, max_side: int = 160) -> bytes:
    """A PNG of a frame ~10 % into a video (past fades from black), or of the image itself,
    scaled to fit ``max_side``."""
    path = Path(path)
    with _open(path) as container:
        stream = _picture_stream(container, path)
        duration = container.duration / av.time_base if container.duration else 0.0
        target = duration * 0.10
        try:
            if target > 0.2:
                container.seek(int(target * av.time_base), any_frame=False, backward=True)
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is None or frame.time >= target - 1e-3:
                    break
        except av.FFmpegError as exc:
            raise MediaError(f"decode {path}: {exc}", user_message=f"{path.name} could not be decoded for a preview.") from exc
        if chosen is None:
            raise MediaError(f"{path}: no frame", user_message=f"{path.name} has no picture to preview.")
        return _png_bytes(_scaled(chosen, max_side))


def last_frame_png(path: str | Path, max_side: int | None = None) -> bytes:
    """The final frame of a video as PNG (full size unless ``max_side``): seek close to the end
    and decode forward, falling back to decoding from the start if the seek finds nothing."""
    path = Path(path)
    with _open(path) as container:
        stream = _picture_stream(container, path)
        duration = container.duration / av.time_base if container.duration else 0.0
        last = None
        try:
            if duration > 2.0:
                container.seek(int((duration - 2.0) * av.time_base), any_frame=False, backward=True)
                for frame in container.decode(stream):
                    last = frame
            if last is None:
                container.seek(0)
                for frame in container.decode(stream):
                    last = frame
        except av.FFmpegError as exc:
            raise MediaError(f"decode {path}: {exc}", user_message=f"{path.name} could not be decoded.") from exc
        if last is None:
            raise MediaError(f"{path}: no frame", user_message=f"{path.name} has no picture.")
        return _png_bytes(_scaled(last, max_side))
