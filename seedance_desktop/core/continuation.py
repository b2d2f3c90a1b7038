"""Continue from a result: the next job of a longer shot, built from a finished one.

One function both faces call (the window's "Continue from this result", the command line's
``continue ID``): take the finished video's exact last frame locally (decoded with PyAV, not
the server's optional last-frame image, which may be missing or scaled), and build a new recipe
with that frame as ``first_frame_image``, the result itself as the reference video, and the same
settings (prompt, ratio, resolution, duration, seed, audio...). The recipe is returned, not
queued: the window opens it in the form for editing, the command line queues it.

Blocking (decodes the video's tail): call from a worker thread.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance_desktop.api.spec import MODELS, FieldKind, MediaKind
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.errors import SeedanceError

#: Request fields that name media: the continuation replaces them all.
_MEDIA_KINDS = (FieldKind.MEDIA, FieldKind.MEDIA_LIST)


class ContinueError(SeedanceError):
    """The job cannot be continued; ``user_message`` says why and what to do."""


@dataclass(frozen=True)
class Continuation:
    """A recipe ready for the form or the queue."""

    model: str
    request: dict[str, Any]
    inputs: list[InputFile]
    first_frame: Path


def continue_from(job: Job, frames_dir: str | Path) -> Continuation:
    """The recipe that continues ``job`` (DONE, its video on disk). The last frame is written
    to ``frames_dir`` as ``<job id>-last.png`` (reused when present). Raises ContinueError."""
    from seedance_desktop.media.errors import MediaError
    from seedance_desktop.media.thumbs import last_frame_png

    if job.state is not JobState.DONE or not job.video_path:
        raise ContinueError(f"job {job.id} is {job.state.value}",
                            user_message="Only a finished job whose video is on disk can be continued. "
                                         "Wait for it to finish (or download it again), then continue.")
    video = Path(job.video_path)
    if not video.is_file():
        raise ContinueError(f"{video} is missing",
                            user_message=f"The result {video.name} is no longer on disk. Download it again, then continue.")
    spec = MODELS.get(job.model)
    if spec is None or not spec.has_field("first_frame_image"):
        raise ContinueError(f"model {job.model} has no first frame",
                            user_message=f"{job.model} does not take a first frame, so it cannot continue a result.")
    frame = Path(frames_dir) / f"{job.id}-last.png"
    if not frame.is_file():
        try:
            data = last_frame_png(video)
        except MediaError as exc:
            raise ContinueError(str(exc), user_message=f"The last frame of {video.name} could not be read: "
                                                       f"{exc.user_message}") from exc
        frame.parent.mkdir(parents=True, exist_ok=True)
        part = frame.with_name(frame.name + ".part")
        part.write_bytes(data)
        os.replace(part, frame)
    request = {k: copy.deepcopy(v) for k, v in job.request.items()
               if not (spec.has_field(k) and spec.field(k).kind in _MEDIA_KINDS)}
    inputs = [InputFile(field="first_frame_image", index=0, local_path=str(frame))]
    if spec.has_field("video_urls") and spec.field("video_urls").media is MediaKind.VIDEO:
        inputs.insert(0, InputFile(field="video_urls", index=0, local_path=str(video)))
        request["video_urls"] = [None]   # filled with the uploaded URL just before submit
    request["first_frame_image"] = None
    return Continuation(job.model, request, inputs, frame)


__all__ = ["ContinueError", "Continuation", "continue_from"]
