"""The engine's collaborators, as the engine sees them (``typing.Protocol``s).

The engine's parts depend on these, never on concrete classes, so each part says exactly what it
needs and tests may pass the real thing (``core.store.JobStore``, ``api.client.ModellixClient``,
``api.download.download_file``) or a small stand-in. mypy checks that the real ones satisfy them
(``tests/core/engine/test_protocols.py`` and the composition root's typed assignments).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from seedance_desktop.api.spec import ModelSpec
from seedance_desktop.api.tasks import SubmitResult, TaskInfo
from seedance_desktop.api.upload import UploadedFile
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.spend_guard import Verdict

#: Called on the loop thread with every changed job (and transient progress, at most 10 Hz).
JobListener = Callable[[Job], None]
#: Called with (paused, reason) whenever the pause gate opens or closes.
PauseListener = Callable[[bool, "str | None"], None]
#: Receives every exception no caller could see, with what the engine was doing.
ErrorHandler = Callable[[BaseException, str], None]
#: A worker thread's byte progress: (done, total or None).
ByteProgress = Callable[[int, "int | None"], None]


class JobStoreProtocol(Protocol):
    """The durable job table: every write is committed (fsynced) before it returns."""

    def add(self, job: Job, reason: str = ...) -> Job: ...
    def transition(self, job_id: str, new_state: JobState, reason: str = ..., **fields_: Any) -> Job: ...
    def update(self, job_id: str, **fields_: Any) -> Job: ...
    def remove(self, job_id: str) -> None: ...
    def move(self, job_id: str, position: float) -> Job: ...
    def get(self, job_id: str) -> Job: ...
    def find(self, job_id: str) -> Job | None: ...
    def list(self, states: Iterable[JobState] | None = ..., limit: int | None = ..., offset: int = ...) -> builtins.list[Job]: ...
    def unfinished(self) -> builtins.list[Job]: ...
    def next_position(self) -> float: ...


class ModellixClientProtocol(Protocol):
    """The four calls the engine makes. Each is ONE HTTP attempt: retries, back-off and the
    shared request budget are the engine's (``core.policy``), never the client's."""

    async def submit(self, spec: ModelSpec, body: dict[str, Any]) -> SubmitResult: ...
    async def get_task(self, task_id: str, url: str | None = None) -> TaskInfo: ...
    async def delete_file(self, file_id: str) -> None: ...
    async def upload_file(self, path: Path, *, progress: Callable[[int, int], None] | None = None,
                          cancel: threading.Event | None = None) -> UploadedFile: ...


class Downloader(Protocol):
    """Blocking download of one result file into ``dest`` (via ``dest.part`` and ``os.replace``),
    run in a worker thread; raises ``api.errors.DownloadError`` subclasses. ``allowed_origin``:
    the client's base URL (trusted besides public https); ``expect_kind``: what the first bytes
    must be ("video", "image")."""

    def __call__(self, url: str, dest: Path, *, progress: ByteProgress | None = ...,
                 cancel: threading.Event | None = ..., allowed_origin: str | None = ...,
                 expect_kind: str | None = ...) -> object: ...


class InputPreparer(Protocol):
    """Probe, check and conform a job's local inputs (``core.prepare``). Blocking: the runner
    calls it in a worker thread. Returns the job's inputs with ``prepared_path`` set (None =
    upload the original); raises a ``SeedanceError`` naming the input and the fix when no
    conforming can help, ``media.errors.ConformCancelled`` when ``cancel`` was set."""

    def prepare(self, job: Job, *, progress: Callable[[float], None], cancel: threading.Event) -> list[InputFile]: ...


class SendGuard(Protocol):
    """The budget guard (``core.spend_guard.SpendGuard``): asked before each job is sent."""

    def admit(self, job: Job) -> Verdict: ...


__all__ = ["ByteProgress", "Downloader", "ErrorHandler", "InputPreparer", "JobListener", "JobStoreProtocol",
           "ModellixClientProtocol", "PauseListener", "SendGuard"]
