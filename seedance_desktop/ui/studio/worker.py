"""Run blocking media work (PyAV decoding, PNG encoding) off the GUI thread, cancellably, with
its progress and its answer delivered on the GUI thread.

The form's dialogs have no controller to hand (the form is built before the runtime), so they
use the pattern of ``form.media_inspector``: a ``QRunnable`` in a pool of the studio's own, one
thread wide (decodes are heavy; one at a time keeps the GUI on time), answering through one
relay object that lives in the GUI thread (Qt queues the worker's emits to it).

:func:`run_in_worker` returns a :class:`WorkerHandle`. The work function receives it too: it
passes ``handle.cancel_event`` and ``handle.report`` down to the media functions (the
``cancel``/``progress`` conventions of ``media.errors``). ``handle.cancel()`` on the GUI thread
stops the work at its next frame (a job still waiting in the pool is skipped without starting),
and from then on nothing more of it is delivered, so a dialog closed or a request replaced
never waits for, or hears from, stale work. A job's owner being deleted cancels it too.

The pool's thread runs at a lower CPU priority on Linux (``core.priority``): FFmpeg's decoder
threads inherit it, and the window keeps the CPU it needs while a strip decodes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

from seedance_desktop.core.priority import lower_thread_priority
from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.errors import MediaCancelled

T = TypeVar("T")


class WorkerHandle(Generic[T]):
    """One piece of studio work. GUI thread: :meth:`cancel`, :attr:`cancelled`,
    :attr:`delivered`. Worker thread (the work function): :attr:`cancel_event` and
    :meth:`report`. :attr:`returned` is set once the worker thread is done with it (it ran to
    an end, failed, stopped on the cancel, or was skipped), whichever thread looks."""

    def __init__(self, then: Callable[[T | None, str], None], on_progress: Callable[[Any], None] | None,
                 owner: QObject | None) -> None:
        self.cancel_event = threading.Event()
        self.returned = threading.Event()
        self.delivered = False
        self._then, self._on_progress, self._owner = then, on_progress, owner

    # ----- GUI thread -----------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the work at its next check and deliver nothing more of it. Idempotent."""
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def pending(self) -> bool:
        """Neither answered nor cancelled: the asker still waits for it."""
        return not self.delivered and not self.cancelled

    def _wanted(self) -> bool:
        # The dialog that asked may have been closed (and deleted) while the worker decoded.
        return not self.cancelled and (self._owner is None or shiboken6.isValid(self._owner))

    def _deliver_progress(self, payload: object) -> None:
        if self._on_progress is not None and self._wanted():
            self._on_progress(payload)

    def _deliver(self, result: T | None, error: str) -> None:
        if self._wanted():
            self.delivered = True
            self._then(result, error)

    # ----- worker thread --------------------------------------------------------------------
    def report(self, payload: object) -> None:
        """Send ``payload`` to the asker's progress callback on the GUI thread (queued);
        dropped once cancelled. Keep it to a few per second: each is one queued event."""
        if not self.cancel_event.is_set() and _RELAY is not None and shiboken6.isValid(_RELAY):
            _RELAY.progressed.emit(self, payload)


class _Relay(QObject):
    """Lives in the GUI thread (made by the first :func:`run_in_worker` call there), for the
    life of the app: a worker's emit is queued to it, and no per-job object is ever deleted
    from a worker thread."""

    progressed = Signal(object, object)   # handle, payload
    done = Signal(object, object, object)   # handle, result, error text ("" when it worked)

    def __init__(self) -> None:
        super().__init__()
        self.progressed.connect(self._on_progressed)
        self.done.connect(self._on_done)

    @Slot(object, object)
    def _on_progressed(self, handle: WorkerHandle[Any], payload: object) -> None:
        handle._deliver_progress(payload)

    @Slot(object, object, object)
    def _on_done(self, handle: WorkerHandle[Any], result: object, error: object) -> None:
        _LIVE.discard(handle)
        handle._deliver(result, str(error))


class _Job(QRunnable):
    def __init__(self, handle: WorkerHandle[Any], work: Callable[[WorkerHandle[Any]], Any]) -> None:
        super().__init__()
        self._handle, self._work = handle, work

    def run(self) -> None:
        handle = self._handle
        lower_thread_priority()   # the pool's own thread: the GUI wins the CPU (Linux)
        result: Any = None
        error = ""
        try:
            if not handle.cancel_event.is_set():   # cancelled while it waited: never start
                result = self._work(handle)
        except MediaCancelled as exc:
            error = exc.user_message   # not delivered when the handle was cancelled (the usual case)
        except SeedanceError as exc:
            error = exc.user_message
        except Exception as exc:  # noqa: BLE001 - always answer, or the dialog waits forever
            error = f"It could not be decoded ({exc})."
        finally:
            handle.returned.set()
        if _RELAY is not None and shiboken6.isValid(_RELAY):   # gone only when the app has quit
            _RELAY.done.emit(handle, result, error)


_POOL: QThreadPool | None = None
_RELAY: _Relay | None = None
_LIVE: set[WorkerHandle[Any]] = set()   # started and not answered yet (GUI thread only)


def run_in_worker(work: Callable[[WorkerHandle[T]], T], then: Callable[[T | None, str], None], *,
                  owner: QObject | None = None,
                  progress: Callable[[Any], None] | None = None) -> WorkerHandle[T]:
    """Run ``work(handle)`` in the studio's worker thread; ``then(result, error)`` on the GUI
    thread, ``error`` being the user message of a failure ("" when it worked), and
    ``progress(payload)`` there for each ``handle.report(payload)``. Call from the GUI thread.
    Nothing is delivered once the handle is cancelled or ``owner`` (the asking widget) has been
    deleted; deleting ``owner`` cancels the work."""
    global _POOL, _RELAY
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(1)   # decodes are heavy; one at a time keeps the GUI timer on time
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(stop_all)
    if _RELAY is None:
        _RELAY = _Relay()
    handle: WorkerHandle[T] = WorkerHandle(then, progress, owner)
    _LIVE.add(handle)
    if owner is not None:
        owner.destroyed.connect(lambda *_: handle.cancel())
    _POOL.start(_Job(handle, work))
    return handle


def stop_all(timeout_ms: int = 3000) -> bool:
    """Cancel every studio job and wait up to ``timeout_ms`` for the worker to return (the app
    is quitting: no decoder may outlive the window). True when it did."""
    for handle in list(_LIVE):
        handle.cancel()
    return studio_pool_idle(timeout_ms)


def studio_pool_idle(timeout_ms: int = 0) -> bool:
    """Whether the studio's worker has nothing running or waiting (after waiting up to
    ``timeout_ms`` for that): for tests and for a clean quit."""
    return _POOL is None or _POOL.waitForDone(timeout_ms)


__all__ = ["WorkerHandle", "run_in_worker", "stop_all", "studio_pool_idle"]
