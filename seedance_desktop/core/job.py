"""Jobs and their state machine.

A job is one paid generation: its recipe, the task id Modellix gave it, its state and a
timestamped history of transitions. Every allowed transition is in ``TRANSITIONS``; anything
else raises :class:`IllegalTransition`, so a bug can never silently move a paid job backwards.
"""

from __future__ import annotations

import copy
import enum
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import MODELS, FieldKind


class JobState(enum.Enum):
    QUEUED = "queued"                    # local only, editable, never sent
    PREPARING = "preparing"              # local inputs being probed, checked and conformed
    UPLOADING = "uploading"              # local inputs going to the File API
    SUBMITTING = "submitting"            # the POST is (about to be) on the wire
    SUBMITTED = "submitted"              # task id known, server says pending
    PROCESSING = "processing"            # server says processing
    DOWNLOADING = "downloading"          # success; fetching the result files
    DONE = "done"                        # result on disk, verified
    FAILED = "failed"                    # server or client failure with a reason
    OUTCOME_UNKNOWN = "outcome_unknown"  # the POST may have been accepted: user decides
    EXPIRED = "expired"                  # succeeded, but no working result URL could be had
    CANCELLED = "cancelled"              # local only: removed before anything was sent

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def is_local(self) -> bool:
        """Nothing has been sent that could cost money: the job can be edited or cancelled."""
        return self in (JobState.QUEUED, JobState.PREPARING, JobState.UPLOADING)

    @property
    def is_active(self) -> bool:
        """Counts against the in-flight cap (the server holds or may hold a task for it)."""
        return self in (JobState.SUBMITTING, JobState.SUBMITTED, JobState.PROCESSING)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


FINAL_STATES = frozenset(
    {JobState.DONE, JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED, JobState.CANCELLED}
)

S = JobState
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    # QUEUED -> QUEUED: held or sent on request (``Job.held``), a note in the history only.
    S.QUEUED: frozenset({S.QUEUED, S.PREPARING, S.UPLOADING, S.SUBMITTING, S.CANCELLED, S.FAILED}),
    # PREPARING -> QUEUED: preparation interrupted by a pause/restart starts again later;
    # -> FAILED: an input no conforming can fix (the reason names the field and what to do).
    S.PREPARING: frozenset({S.UPLOADING, S.SUBMITTING, S.QUEUED, S.FAILED, S.CANCELLED}),
    # UPLOADING -> QUEUED: an upload interrupted by a pause/restart goes back to the queue.
    S.UPLOADING: frozenset({S.SUBMITTING, S.QUEUED, S.FAILED, S.CANCELLED}),
    # SUBMITTING -> QUEUED only when the POST provably never reached the server (or was refused
    # with 429/402), so sending it again cannot pay twice.
    S.SUBMITTING: frozenset({S.SUBMITTED, S.PROCESSING, S.DOWNLOADING, S.QUEUED, S.FAILED, S.OUTCOME_UNKNOWN}),
    S.SUBMITTED: frozenset({S.PROCESSING, S.DOWNLOADING, S.FAILED}),
    S.PROCESSING: frozenset({S.DOWNLOADING, S.FAILED}),
    S.DOWNLOADING: frozenset({S.DONE, S.EXPIRED, S.FAILED}),
    # Explicit user retries create a new attempt (a new job); final states stay final, except
    # that a paid result still on the server may be downloaded again by the user.
    # -> DOWNLOADING: "Download again" (the file was deleted, or a result link expired): the
    # task is asked for fresh links and the same paid result is fetched again.
    S.DONE: frozenset({S.DOWNLOADING}),
    S.FAILED: frozenset({S.DOWNLOADING}),
    S.OUTCOME_UNKNOWN: frozenset({S.SUBMITTED, S.PROCESSING, S.DOWNLOADING, S.FAILED}),
    S.EXPIRED: frozenset({S.DOWNLOADING}),
    S.CANCELLED: frozenset(),
}
del S


class IllegalTransition(RuntimeError):
    def __init__(self, job_id: str, old: JobState, new: JobState) -> None:
        super().__init__(f"job {job_id}: {old.value} -> {new.value} is not allowed")
        self.job_id, self.old, self.new = job_id, old, new


def check_transition(job_id: str, old: JobState, new: JobState) -> None:
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(job_id, old, new)


@dataclass(frozen=True)
class Transition:
    at: float
    old: JobState | None
    new: JobState
    reason: str = ""


@dataclass
class InputFile:
    """A local input and, once uploaded, the hosted URL it became (so we never upload twice)."""

    field: str                 # request field, e.g. "video_urls" or "first_frame_image"
    index: int                 # position in that field's list (0 for single-valued fields)
    local_path: str
    uploaded_url: str | None = None
    uploaded_file_id: str | None = None  # to free the File API quota once the task is final
    #: The file that is uploaded in place of ``local_path``: a conformed copy in the cache
    #: folder written by the preparing step (``core.prepare``), or None while unprepared or
    #: when the original passes every limit as it is. The original is never modified.
    prepared_path: str | None = None
    #: What preparing did or found, in plain words (e.g. "Trimmed to 15 s, scaled to 1280x720").
    prepared_note: str | None = None
    #: The user's selection of a video or audio input, in seconds of the original (None: the
    #: first seconds that fit the limits). Part of the recipe: kept by duplicates and sidecars.
    trim_start: float | None = None
    trim_end: float | None = None
    #: How a video's (or image's) picture is framed for the output ratio, in the spelling of
    #: ``media.edit.Framing.text`` ("crop:9:16", "crop:9:16@x,y,w,h", "pad:9:16"); None: as it is.
    framing: str | None = None

    def edit_fields(self) -> dict[str, object]:
        """The recipe part of an input beyond its file: what a copy or a sidecar keeps."""
        return {"trim_start": self.trim_start, "trim_end": self.trim_end, "framing": self.framing}


@dataclass(frozen=True)
class UploadRecord:
    """One file the File API hosts for us: the SHA-256 of the exact bytes sent, its URL (as
    stored: a signed query string is replaced by a mark, see ``core.upload_cache``), its id (to
    delete it) and when it stops being usable (Unix time)."""

    sha256: str
    url: str
    file_id: str | None
    size: int
    uploaded_at: float
    expires_at: float


@dataclass
class Job:
    """One generation. ``request`` holds the request fields exactly as they will be sent,
    except that entries which are local files are named in ``inputs`` and filled in with their
    uploaded URLs just before submit."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    model: str = DEFAULT_MODEL
    request: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputFile] = field(default_factory=list)
    state: JobState = JobState.QUEUED
    task_id: str | None = None
    result_url: str | None = None      # poll URL from the submit answer, if any
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    finished_at: float | None = None
    position: float = 0.0              # order in the local queue (lower runs first)
    history: list[Transition] = field(default_factory=list)
    video_path: str | None = None
    last_frame_path: str | None = None
    remote_video_url: str | None = None
    remote_last_frame_url: str | None = None
    cost: float | None = None
    error: str | None = None
    progress: float | None = None      # 0..1 for uploads/downloads; not persisted on every tick
    attempt_of: str | None = None      # the job this one re-tries ("submit again", "retry")
    raw_task: dict[str, Any] | None = None
    #: The command-line process that queued this job (``core.engine.owner.process_tag``,
    #: "cli:<pid>:<start time>"); None for the window, whose queue persists and continues.
    queued_by: str | None = None
    #: Why the engine does not start this QUEUED job until the person sends it (the process
    #: that queued it stopped before sending it); None: not held.
    held: str | None = None
    #: The batch this job belongs to (``core.batch``): the queue acts on a batch as a group.
    group_id: str | None = None
    #: The charge estimated (USD, from the price table in force) when the engine admitted the
    #: job for sending, and when; the billed amount arrives later in ``cost`` (``core.ledger``).
    estimate: float | None = None
    estimated_at: float | None = None
    #: The person chose "Send anyway" for a job the budget guard held: it is not held again.
    budget_override: bool = False

    @property
    def prompt(self) -> str:
        value = self.request.get("prompt", "")
        return value if isinstance(value, str) else ""

    @property
    def seed(self) -> int | None:
        value = self.request.get("seed")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def place_inputs(job: Job, value: Callable[[InputFile], str | None]) -> dict[str, Any]:
    """A copy of the job's request with each input's slot filled by ``value(input)`` (its
    uploaded URL when sending, its local path in a sidecar). The model spec, not the request's
    current shape, decides whether a field is a list: a request that leaves ``video_urls`` out
    must still send a list."""
    request = copy.deepcopy(job.request)
    spec = MODELS.get(job.model)
    for item in job.inputs:
        current = request.get(item.field)
        is_list = spec is not None and spec.has_field(item.field) and spec.field(item.field).kind is FieldKind.MEDIA_LIST
        if is_list or isinstance(current, list) or (current is None and item.index > 0):
            values = list(current or [])
            while len(values) <= item.index:
                values.append(None)
            values[item.index] = value(item)
            request[item.field] = values
        else:
            request[item.field] = value(item)
    return request
