"""The one seam between asyncio (the engine, the network) and Qt (the widgets).

Why one seam: widgets must never own coroutines or block on I/O, and a task whose exception
nobody retrieves is a silent bug. So this object

* owns the engine and every asyncio task the UI starts (references kept in ``_tasks``,
  cancelled in :meth:`shutdown`), and routes each failure to :meth:`report`, which emits one
  ``error(str)`` with the error's ``user_message``;
* turns engine listener callbacks (on the event-loop thread, which under qasync *is* the GUI
  thread) into Qt signals carrying job ids, and keeps the latest ``Job`` objects so the queue
  model sees transient progress that is not persisted on every tick;
* offers a plain slot for every user action. Slots never block: anything slow (HTTP, keyring,
  settings file) runs as a task or in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import tempfile
from pathlib import Path
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from seedance_desktop.api.errors import AuthenticationError
from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.store import JobNotFound, JobStore
from seedance_desktop.ui.controller_helpers import (
    STOP_TIMEOUT,
    bounded,
    check_key_with_client,
    removal_message,
    summarize_counts,
    user_message,
)

if TYPE_CHECKING:  # the engine (and httpx behind it) loads with the runtime, after "usable"
    from seedance_desktop.core.batch import BatchPlan
    from seedance_desktop.core.engine import Engine

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How many removals Undo can take back.
UNDO_DEPTH = 20

#: check_key's client factory: (base_url, key) -> an object with async validate_key()/balance()
#: and an async aclose(). Injected so tests and the settings dialog need no real network.
KeyChecker = Callable[[str, str], Awaitable[tuple[bool, float]]]


class Controller(QObject):
    job_added = Signal(str)
    job_changed = Signal(str)
    job_removed = Signal(str)
    removal_undoable = Signal(str)        # a job was removed: what happened, for an Undo notice
    undo_changed = Signal(bool)           # whether a removal can be undone
    job_finished = Signal(str)            # reached DONE during this session (notifications)
    order_changed = Signal()              # the queue was reordered: views re-read the store
    counts_changed = Signal(dict)         # {"queued", "running", "done", "failed"}
    mode_changed = Signal(str)            # "Demo" or "Account · $12.34"
    balance_changed = Signal(float)
    paused_changed = Signal(bool)
    pause_changed = Signal(str, str)      # the engine's pause kind ("" = running, "auth", ...) and reason
    recipe_ready = Signal(str, dict, list)  # model, request, inputs: fill the form with them
    key_checked = Signal(bool, float, str)  # ok, balance, message
    settings_saved = Signal()
    started = Signal()
    error = Signal(str)

    def __init__(
        self,
        store: JobStore | None = None,
        engine: Engine | None = None,
        *,
        demo: bool = False,
        balance: Callable[[], Awaitable[float]] | None = None,
        key_checker: KeyChecker = check_key_with_client,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.engine: Engine | None = None
        self.demo = demo
        self._balance = balance
        self._key_checker = key_checker
        self._tasks: set[asyncio.Task[Any]] = set()
        self._jobs: dict[str, Job] = {}
        self._closing = False
        self._user_pausing = False
        self._pending: list[tuple[str, dict[str, Any], list[InputFile]]] = []
        self._removed: list[Job] = []     # for Undo, newest last
        #: Where "Continue from this result" writes last frames (the app sets its cache folder).
        self.frames_dir = Path(tempfile.gettempdir()) / "seedance-frames"
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(150)  # coalesce bursts of state changes
        self._counts_timer.timeout.connect(self.refresh_counts)
        if engine is not None:
            self.attach_engine(engine)

    # -- tasks and errors ---------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any] | None:
        """Run ``coro`` on the loop, keep a reference, route its failure to :meth:`report`."""
        if self._closing:
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._task_done, what=what))
        return task

    def _task_done(self, task: asyncio.Task[Any], *, what: str) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.report(exc, what)

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._tasks)

    def report(self, exc: BaseException, what: str = "") -> None:
        """The single place an error becomes a message for the person."""
        log.warning("%s failed: %s", what or "operation", type(exc).__name__, exc_info=exc)
        self.error.emit(user_message(exc, what))

    def _act(self, what: str, action: Callable[[Engine], T]) -> T | None:
        """Run one engine action; a refusal or failure becomes one error message."""
        if self.engine is None:
            self.error.emit("The job engine is still starting. Try again in a moment.")
            return None
        try:
            return action(self.engine)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            self.report(exc, what)
            return None

    # -- engine wiring ------------------------------------------------------------------------
    def attach_engine(self, engine: Engine) -> None:
        self.engine = engine
        engine.add_listener(self._on_engine_job)
        # The engine pauses itself (401, 402, unknown submit outcomes): the pause button follows.
        engine.add_pause_listener(self._on_engine_pause)
        # Engine-internal failures (a job runner that crashed) reach the same single handler.
        engine.set_error_handler(self.report)

    def detach(self) -> None:
        """Forget the current engine and store (the app is about to replace the runtime)."""
        if self.engine is not None:
            self.engine.remove_listener(self._on_engine_job)
            self.engine.remove_pause_listener(self._on_engine_pause)
            self.engine.set_error_handler(None)
        self.engine = None
        self.store = None
        self._jobs.clear()
        self._removed.clear()  # another store: its jobs cannot be put back here

    def _emit_pause(self) -> None:
        """The engine's one pause state, for every place the window shows it."""
        if self.engine is None:
            return
        kind = self.engine.pause_kind
        self.paused_changed.emit(self.engine.paused)
        self.pause_changed.emit(kind.name.lower() if kind is not None else "", self.engine.pause_reason or "")

    def _on_engine_pause(self, paused: bool, reason: str | None) -> None:
        self._emit_pause()
        # The engine pausing *itself* (402 balance, 401 key) is news; the user's own pause is not.
        if paused and reason and not self._user_pausing:
            self.error.emit(reason)
            self.refresh_mode()

    def attach_runtime(self, store: JobStore, engine: Engine, *, demo: bool,
                       balance: Callable[[], Awaitable[float]] | None = None) -> None:
        """Adopt a freshly built runtime (the window exists before it does)."""
        self.store = store
        self.demo = demo
        self._balance = balance
        self._jobs.clear()
        self._removed.clear()
        self.attach_engine(engine)

    @Slot()
    def start(self) -> None:
        """Start the engine (it resumes unfinished jobs) and fetch the balance."""
        if self.engine is None:
            return
        self.spawn(self._start(), "starting the job engine")

    async def _start(self) -> None:
        assert self.engine is not None
        await self.engine.start()
        pending, self._pending = self._pending, []
        for model, request, inputs in pending:
            self.submit(model, request, inputs)
        self._emit_pause()
        self.refresh_counts()
        self.started.emit()
        self.refresh_mode()

    def _on_engine_job(self, job: Job) -> None:
        previous = self._jobs.get(job.id)
        self._jobs[job.id] = job
        self.job_changed.emit(job.id)
        if previous is None or previous.state != job.state:
            self._counts_timer.start()
            if job.state == JobState.DONE and (previous is None or previous.state != JobState.DONE):
                self.job_finished.emit(job.id)
            if job.state == JobState.FAILED and "balance" in (job.error or "").lower():
                self.refresh_mode()

    def job(self, job_id: str) -> Job | None:
        """The freshest copy: what the engine last reported, else the store's."""
        job = self._jobs.get(job_id)
        if job is not None or self.store is None:
            return job
        try:
            return self.store.get(job_id)
        except JobNotFound:
            return None

    @Slot()
    def refresh_counts(self) -> None:
        if self.store is None:
            return
        try:
            self.counts_changed.emit(summarize_counts(self.store.count_by_state()))
        except Exception as exc:  # noqa: BLE001
            self.report(exc, "counting jobs")

    def in_flight(self) -> dict[str, int]:
        """Fresh job counts (as the status bar's) for the quit warning; {} without a store."""
        if self.store is None:
            return {}
        try:
            return summarize_counts(self.store.count_by_state())
        except Exception as exc:  # noqa: BLE001 - never block quitting on a count
            log.warning("counting jobs before quitting failed: %s", exc)
            return {}

    @Slot()
    def refresh_mode(self) -> None:
        if self.demo:
            self.mode_changed.emit("Demo")
        elif self._balance is not None:
            self.spawn(self._fetch_balance(), "fetching the balance")
        else:
            self.mode_changed.emit("Account")

    async def _fetch_balance(self) -> None:
        assert self._balance is not None
        try:
            value = await self._balance()
        except AuthenticationError as exc:
            # A rejected key is not a passing error: the engine pauses (queued jobs wait, with
            # the reason in the banner and the status bar) until a new key or a resume.
            self.mode_changed.emit("Account · key rejected")
            if self.engine is not None:
                self.engine.note_rejected_key(exc)
            return
        except Exception:
            self.mode_changed.emit("Account · balance unavailable")  # never "Starting…" forever
            raise
        self.balance_changed.emit(value)
        self.mode_changed.emit(f"Account · {usd(value)}")

    def _added(self, job: Job | None) -> None:
        if job is not None:
            self._jobs[job.id] = job
            self.job_added.emit(job.id)
            self._counts_timer.start()

    # -- user actions -------------------------------------------------------------------------
    @Slot(str, dict, list)
    def submit(self, model: str, request: dict[str, Any], inputs: list[InputFile]) -> None:
        if self.engine is None:
            # The window shows before the engine exists: keep the request, add it once started.
            self._pending.append((model, dict(request), list(inputs)))
            return
        self._added(self._act("adding the job", lambda e: e.enqueue(model, dict(request), list(inputs))))

    def queue_batch(self, plan: BatchPlan) -> list[Job]:
        """Queue a confirmed batch plan as one group (``core.batch.queue_plan``)."""
        from seedance_desktop.core.batch import queue_plan

        queued = self._act("queuing the batch", lambda e: queue_plan(e, plan))
        jobs = queued[1] if queued is not None else []
        for job in jobs:
            self._added(job)
        return jobs

    def group_action(self, group_id: str, action: str) -> int:
        """Pause, resume, cancel or retry the failed jobs of a batch, through the engine's own
        per-job actions (``core.batch.group_action``); how many jobs changed."""
        from seedance_desktop.core.batch import group_action

        store = self.store
        if store is None:
            return 0
        count = self._act(f"{action.replace('_', ' ')} of the batch", lambda e: group_action(e, store.group(group_id), action))
        self.order_changed.emit()  # new attempts and held rows: the views re-read the store
        self._counts_timer.start()
        return count or 0

    def find_identical(self, model: str, request: dict[str, Any], inputs: list[InputFile],
                       reply: Callable[[str], None]) -> None:
        """Look for a queued or finished job with exactly this recipe (``core.duplicates``) in a
        worker; ``reply(warning)`` on the GUI thread ("" when there is none, or no store yet)."""
        store = self.store
        if store is None:
            reply("")
            return

        async def look() -> None:
            from seedance_desktop.core.duplicates import identical_jobs, repeat_warning

            try:
                jobs = await asyncio.to_thread(identical_jobs, store, model, request, inputs)
            except Exception:
                reply("")  # the check is a courtesy: never stop a submit because it failed
                raise
            reply(repeat_warning(jobs))

        if self.spawn(look(), "looking for an identical job") is None:
            reply("")

    @Slot(str)
    def retry(self, job_id: str) -> None:
        job = self._act("retrying the job", lambda e: e.retry(job_id))
        if job is not None and job.id == job_id:  # a paid result fetched again, not a new job
            self._on_engine_job(job)
        else:
            self._added(job)

    @Slot(str)
    def submit_again(self, job_id: str) -> None:
        self._added(self._act("submitting the job again", lambda e: e.submit_again(job_id)))

    @Slot(str)
    def rerun_with_new_seed(self, job_id: str) -> None:
        self._added(self._act("re-running with a new seed", lambda e: e.rerun_with_new_seed(job_id)))

    @Slot(str)
    def send(self, job_id: str) -> None:
        """Send a held job (queued by a command that stopped before sending it)."""
        job = self._act("sending the held job", lambda e: e.send(job_id))
        if job is not None:
            self._on_engine_job(job)

    @Slot(str)
    def redownload(self, job_id: str) -> None:
        """"Download again": fresh links from the task, then the same paid result."""
        job = self._act("downloading the result again", lambda e: e.redownload(job_id))
        if job is not None:
            self._on_engine_job(job)

    @Slot(str)
    def duplicate(self, job_id: str) -> None:
        recipe = self._act("copying the job into the form", lambda e: e.recipe(job_id))
        if recipe is not None:
            model, request, inputs = recipe
            self.recipe_ready.emit(model, dict(request), list(inputs))

    @Slot(str)
    def continue_from(self, job_id: str) -> None:
        """"Continue from this result": its exact last frame and the result itself become the
        next job's first frame and reference (``core.continuation``, decoded in a worker); the
        recipe goes to the form (undoable), not straight to the queue."""
        job = self.job(job_id)
        if job is not None:
            self.spawn(self._continue_from(job), "continuing from the result")

    async def _continue_from(self, job: Job) -> None:
        from seedance_desktop.core.continuation import continue_from

        recipe = await asyncio.to_thread(continue_from, job, self.frames_dir)
        self.recipe_ready.emit(recipe.model, dict(recipe.request), list(recipe.inputs))

    @Slot(str)
    def open_recipe(self, path: str) -> None:
        """Fill the form from a result's JSON sidecar (read in a worker thread)."""
        self.spawn(self._open_recipe(path), "opening the recipe")

    async def _open_recipe(self, path: str) -> None:
        from pathlib import Path

        from seedance_desktop.core.outputs import read_sidecar

        recipe = await asyncio.to_thread(read_sidecar, Path(path))
        self.recipe_ready.emit(recipe.model, dict(recipe.request), list(recipe.inputs))

    @Slot(str)
    def cancel(self, job_id: str) -> None:
        job = self._act("cancelling the job", lambda e: e.cancel(job_id))
        if job is not None:
            self._on_engine_job(job)

    @Slot(str)
    def remove(self, job_id: str) -> None:
        """Remove a job from the list; :meth:`undo_remove` puts it back (files are kept)."""
        removed = self._act("removing the job", lambda e: e.remove(job_id))
        if removed is None:
            return
        self._removed.append(removed)
        del self._removed[:-UNDO_DEPTH]
        self._jobs.pop(job_id, None)
        self.job_removed.emit(job_id)
        self._counts_timer.start()
        self.removal_undoable.emit(removal_message(removed))
        self.undo_changed.emit(True)

    @property
    def can_undo_remove(self) -> bool:
        return bool(self._removed)

    @Slot()
    def undo_remove(self) -> None:
        """Put back the job removed last (same id, history and files)."""
        if not self._removed:
            return
        job = self._removed.pop()
        self.undo_changed.emit(bool(self._removed))
        self._added(self._act("putting the job back", lambda e: e.restore(job)))

    @Slot(str, int)
    def move(self, job_id: str, index: int) -> None:
        """Move a queued job to ``index`` among the *other* queued jobs (0 = runs next).

        The store orders by a float ``position``; the new one is halfway between the
        neighbours', so no other row is rewritten."""
        position = self._position_for(job_id, index)
        if position is None:
            return
        if self._act("reordering the queue", lambda e: e.move(job_id, position)) is not None:
            self.order_changed.emit()

    def _position_for(self, job_id: str, index: int) -> float | None:
        if self.store is None:
            return None
        try:
            others = [j for j in self.store.list(states=[JobState.QUEUED]) if j.id != job_id]
        except Exception as exc:  # noqa: BLE001
            self.report(exc, "reordering the queue")
            return None
        if not others:
            return None
        if index <= 0:
            return others[0].position - 1.0
        if index >= len(others):
            return others[-1].position + 1.0
        return (others[index - 1].position + others[index].position) / 2.0

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        if self.engine is None:
            return
        self._user_pausing = True
        try:
            if paused:
                self._act("pausing the queue", lambda e: e.pause())
            else:
                self._act("resuming the queue", lambda e: e.resume())
        finally:
            self._user_pausing = False
        self._emit_pause()

    @Slot()
    def pause(self) -> None:
        self.set_paused(True)

    @Slot()
    def resume(self) -> None:
        self.set_paused(False)

    # -- settings and key ----------------------------------------------------------------------
    @Slot(str, str)
    def check_key(self, base_url: str, key: str) -> None:
        self.spawn(self._check_key(base_url, key), "checking the key")

    async def _check_key(self, base_url: str, key: str) -> None:
        try:
            ok, balance = await self._key_checker(base_url, key)
        except Exception as exc:  # noqa: BLE001 - the dialog shows it next to the button
            self.key_checked.emit(False, 0.0, user_message(exc, "checking the key"))
            return
        if ok:
            self.key_checked.emit(True, balance, f"Key accepted. Balance: {usd(balance)}")
        else:
            self.key_checked.emit(False, 0.0, "The key was rejected. Check that it was copied completely.")

    def save_settings(self, save: Callable[[], Any], *, then: Callable[[], Any] | None = None) -> None:
        """Run a blocking save (settings file, keyring) in a worker thread, then ``then`` here."""
        self.spawn(self._save(save, then), "saving the settings")

    async def _save(self, save: Callable[[], Any], then: Callable[[], Any] | None) -> None:
        await asyncio.to_thread(save)
        if then is not None:
            result = then()
            if asyncio.iscoroutine(result):
                await result
        self.settings_saved.emit()

    def set_max_in_flight(self, value: int) -> None:
        self._act("changing tasks in flight", lambda e: e.set_max_in_flight(value))

    # -- shutdown ------------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Cancel our tasks and stop the engine (it leaves every job resumable)."""
        self._closing = True
        self._counts_timer.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.engine is not None:
            await bounded(self.engine.stop(), STOP_TIMEOUT, "stopping the engine")


__all__ = ["Controller", "KeyChecker", "STOP_TIMEOUT", "bounded", "check_key_with_client", "summarize_counts",
           "user_message"]
