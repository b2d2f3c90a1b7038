"""The words in a queue row: elapsed times, parameters, the State cell, the thumbnail's source.

Pure functions of a ``Job`` (and the clock), kept apart from the item model so the details
pane and the player can use them without the model's Qt plumbing.
"""

from __future__ import annotations

import re

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.timing import server_time

#: States with a fraction done (``Job.progress``) and so a time left.
PROGRESS_STATES = (JobState.PREPARING, JobState.UPLOADING, JobState.DOWNLOADING)


#: The invisible break opportunity :func:`breakable` inserts (U+200B ZERO WIDTH SPACE).
ZERO_WIDTH_SPACE = "\u200b"
_LONG_RUN = re.compile(r"\S{25,}")
_AFTER = re.compile(r"([./\\_:;,=&?-])")


def breakable(text: str) -> str:
    """``text`` with invisible break opportunities inside runs of 25 or more characters
    without a space: after path and identifier punctuation, and every 24 characters of a piece
    still longer than 40. Why: a label wraps only at spaces, so
    "InputVideoSensitiveContentDetected.PrivacyInformation:" or a long path made the details
    pane wider than the window at 1024 px (a horizontal scroll bar). For display only: what a
    Copy button copies is the text as it is."""
    def soften(match: re.Match[str]) -> str:
        pieces = _AFTER.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, match.group(0)).split(ZERO_WIDTH_SPACE)
        chunks = [piece[i:i + 24] for piece in pieces for i in range(0, len(piece), 24)
                  ] if any(len(piece) > 40 for piece in pieces) else pieces
        return ZERO_WIDTH_SPACE.join(chunk for chunk in chunks if chunk)
    return _LONG_RUN.sub(soften, text)


def thumbnail_source(job: Job) -> str | None:
    """The file a row's thumbnail is made from: the result, else the first visual input."""
    if job.video_path and job.state == JobState.DONE:
        return job.video_path
    for item in sorted(job.inputs, key=lambda i: (i.field != "video_urls", i.field, i.index)):
        if item.field in ("video_urls", "first_frame_image", "reference_images", "last_frame_image"):
            return item.local_path
    return None


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_params(job: Job) -> str:
    """duration · ratio · resolution · seed, the knobs a person compares between rows."""
    req = job.request
    parts = []
    if req.get("duration") is not None:
        parts.append(f"{req['duration']} s")
    for key in ("ratio", "resolution"):
        if req.get(key):
            parts.append(str(req[key]))
    seed = job.seed
    parts.append("seed random" if seed is None or seed < 0 else f"seed {seed}")
    return " · ".join(parts)


def format_window(lo: float, hi: float) -> str:
    return f"{format_elapsed(lo)}–{format_elapsed(hi)}"


def state_text(job: Job, now: float, *, remaining: float | None = None, time_scale: float = 1.0) -> str:
    """The State cell: the state, progress with the time left when known, and for the server's
    part the time since submit against the usual duration (``core.timing``)."""
    if job.state is JobState.QUEUED and job.held:  # its command stopped before sending it
        return "Held · not sent"
    text = job.state.label
    if job.state in PROGRESS_STATES and job.progress is not None:
        text += f" {int(job.progress * 100)}%"
        if remaining is not None:
            return text + f" · {format_elapsed(remaining)} left"
    server = server_time(job, now, time_scale=time_scale)
    if server is not None:
        if server.overdue:
            return text + f" {format_elapsed(server.elapsed)} · longer than usual"
        return text + f" {format_elapsed(server.elapsed)} · usually {format_window(server.usual_from, server.usual_to)}"
    start = job.submitted_at or job.created_at
    if job.state.is_final:
        if job.finished_at and job.submitted_at:
            text += f" · {format_elapsed(job.finished_at - job.submitted_at)}"
    elif job.state != JobState.QUEUED:
        text += f" · {format_elapsed(now - start)}"
    return text


__all__ = ["PROGRESS_STATES", "ZERO_WIDTH_SPACE", "breakable", "format_elapsed", "format_params", "format_window", "state_text",
           "thumbnail_source"]
