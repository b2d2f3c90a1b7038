"""Contact sheets and filmstrips: frames of a video laid out as one picture.

:func:`filmstrip` gives ``count`` evenly spaced thumbnails of one clip (the trim editor's
strip); :func:`contact_sheet` writes a PNG grid comparing a reference video with a result: one
row per video, the same moments in each column (as fractions of each video's length, so clips
of different durations line up by position), for the compare view and for export.

Decoding is blocking: call from a worker thread. Both take the cancel and progress conventions
of ``media.errors``: ``cancel`` (a ``threading.Event``) is checked between decoded frames and
stops the work with :class:`MediaCancelled`; ``progress(done, total)`` counts pictures. PyAV and
numpy are imported inside the functions (start-up time); only types are imported at module level.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_desktop.media.errors import MediaError, StepProgress, raise_if_cancelled

if TYPE_CHECKING:
    import av
    import numpy as np

    Picture = np.ndarray[Any, np.dtype[np.uint8]]

_GAP = 4  # pixels between cells


def filmstrip(path: str | Path, count: int = 10, *, height: int = 90, progress: StepProgress | None = None,
              cancel: threading.Event | None = None,
              on_picture: Callable[[int, Picture], None] | None = None) -> list[Picture]:
    """``count`` RGB thumbnails ``height`` pixels high, at the middle of ``count`` equal spans
    of the clip (upright for phone clips). Seeks to the keyframe before a moment and decodes
    forward to it, and goes on decoding instead of seeking when no keyframe lies in between, so
    a clip with keyframes every second costs ``count`` short decodes, and one with keyframes
    ten seconds apart never decodes a stretch twice.

    ``on_picture(index, picture)`` gets each thumbnail as soon as it is made (a strip can fill
    in while the rest decode), then ``progress(index + 1, count)``. ``cancel`` is checked
    between frames, also while decoding forward to a moment: raises :class:`MediaCancelled`."""
    import av

    from seedance_desktop.media.thumbs import _scaled

    path = Path(path)
    if count < 1:
        return []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            duration = container.duration / av.time_base if container.duration else None
            if duration is None and stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            if not duration:
                raise MediaError(f"{path}: no duration", user_message=f"{path.name}: its length cannot be read.")
            pictures: list[Picture] = []
            base = stream.time_base or 1
            keyframes = _keyframe_times(container, stream, cancel)
            frames = None
            position = -1.0   # time of the last frame decoded (decoding goes on from there)
            for n in range(count):
                raise_if_cancelled(cancel, "the filmstrip")
                moment = duration * (n + 0.5) / count
                # Seek only when a keyframe lies between where decoding stands and the moment:
                # with keyframes every ~10 s, several thumbnails share one run of decoding.
                if frames is None or any(position < k <= moment for k in keyframes):
                    container.seek(int(moment / base), stream=stream, backward=True, any_frame=False)
                    frames = container.decode(stream)
                chosen = None
                for frame in frames:
                    raise_if_cancelled(cancel, "the filmstrip")
                    chosen = frame
                    position = frame.time if frame.time is not None else position
                    if frame.time is None or frame.time >= moment - 1e-3:
                        break
                if chosen is None:
                    raise MediaError(f"{path}: no frame near {moment:.2f} s",
                                     user_message=f"{path.name} could not be decoded near {moment:.1f} s.")
                scale = height / chosen.height if not (chosen.rotation or 0) % 180 else height / chosen.width
                upright = _scaled(chosen, max(2, round(max(chosen.width, chosen.height) * scale)))
                rgb: Picture = upright.to_ndarray(format="rgb24")  # type: ignore[assignment]
                pictures.append(rgb)
                if on_picture is not None:
                    on_picture(n, rgb)
                if progress is not None:
                    progress(n + 1, count)
            return pictures
    except av.FFmpegError as exc:
        raise MediaError(f"decode {path}: {exc}", user_message=f"{path.name} could not be decoded ({exc}).") from exc


def _keyframe_times(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                    cancel: threading.Event | None = None) -> list[float]:
    """Where the clip's keyframes are, from the packets alone (no decoding: milliseconds, but a
    long file has many packets, so ``cancel`` is looked at every few hundred)."""
    times: list[float] = []
    base = stream.time_base
    for number, packet in enumerate(container.demux(stream)):
        if number % 256 == 0:
            raise_if_cancelled(cancel, "the filmstrip")
        if packet.is_keyframe and packet.pts is not None and base is not None:
            times.append(float(packet.pts * base))
    return times


def contact_sheet(videos: Sequence[str | Path], dst: str | Path, *, columns: int = 6, height: int = 120,
                  progress: StepProgress | None = None, cancel: threading.Event | None = None) -> Path:
    """Write a PNG grid to ``dst``: one row per video (reference first, result second), the
    same relative moments in each column. Returns ``dst``.

    ``progress(done, total)`` counts the pictures decoded plus one last step for the PNG
    written. The PNG goes to a hidden ``.part`` file beside ``dst`` and is renamed over it only
    when whole: a cancel (:class:`MediaCancelled`) or a failure leaves no partial PNG, and an
    earlier sheet at ``dst`` stays as it was. ``dst`` may not be one of ``videos``: the
    originals are only ever read."""
    import numpy as np

    from seedance_desktop.media.image_conform import encode_still

    dst = Path(dst)
    if any(_same_file(dst, Path(video)) for video in videos):
        raise MediaError(f"contact sheet over its own input {dst}",
                         user_message=f"{dst.name} is one of the compared videos: choose another file name.")
    total = len(videos) * columns + 1
    rows: list[list[Picture]] = []
    for r, video in enumerate(videos):
        def picture_done(done: int, _count: int, before: int = r * columns) -> None:
            if progress is not None:
                progress(before + done, total)

        rows.append(filmstrip(video, columns, height=height, progress=picture_done, cancel=cancel))
    if not rows or not rows[0]:
        raise MediaError("nothing to lay out", user_message="No frames to put on the contact sheet.")
    cell_w = max(p.shape[1] for row in rows for p in row)
    width = columns * cell_w + (columns + 1) * _GAP
    full = len(rows) * height + (len(rows) + 1) * _GAP
    sheet = np.full((full, width, 3), 24, dtype=np.uint8)
    for r, row in enumerate(rows):
        top = _GAP + r * (height + _GAP)
        for c, picture in enumerate(row):
            h, w = min(height, picture.shape[0]), picture.shape[1]
            left = _GAP + c * (cell_w + _GAP) + (cell_w - w) // 2
            sheet[top:top + h, left:left + w] = picture[:h]
    data = encode_still(sheet, "png")
    raise_if_cancelled(cancel, "the contact sheet")
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(f".{dst.name}.part")
    try:
        part.write_bytes(data)
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    if progress is not None:
        progress(total, total)
    return dst


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (``a`` need not exist yet)."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


__all__ = ["contact_sheet", "filmstrip"]
