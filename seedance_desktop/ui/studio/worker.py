"""Run blocking media work (PyAV decoding) off the GUI thread and get the answer back on it.

The form's dialogs have no controller to hand (the form is built before the runtime), so they
use the same pattern as ``form.media_inspector``: a ``QRunnable`` in a shared pool, answering
through a relay object that lives in the GUI thread (Qt queues the call). A dialog closed
before the answer arrives simply ignores it (the relay is parentless and outlives it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from seedance_desktop.errors import SeedanceError


class _Relay(QObject):
    """Lives in the GUI thread: a worker's emit is queued to :meth:`deliver` there."""

    done = Signal(object, object)   # result, error text ("" when it worked)

    def __init__(self, then: Callable[[Any, str], None], owner: QObject | None) -> None:
        super().__init__()
        self._then, self._owner = then, owner
        self.done.connect(self.deliver)

    def deliver(self, result: object, error: object) -> None:
        _RELAYS.discard(self)
        # The dialog that asked may have been closed (and deleted) while the worker decoded.
        if self._owner is None or shiboken6.isValid(self._owner):
            self._then(result, str(error))


class _Job(QRunnable):
    def __init__(self, relay: _Relay, work: Callable[[], Any]) -> None:
        super().__init__()
        self._relay, self._work = relay, work

    def run(self) -> None:
        try:
            result, error = self._work(), ""
        except SeedanceError as exc:
            result, error = None, exc.user_message
        except Exception as exc:  # noqa: BLE001 - always answer, or the dialog waits forever
            result, error = None, f"It could not be decoded ({exc})."
        self._relay.done.emit(result, error)


_POOL: QThreadPool | None = None
_RELAYS: set[_Relay] = set()


def run_in_worker(work: Callable[[], Any], then: Callable[[Any, str], None], *, owner: QObject | None = None) -> None:
    """Run ``work()`` in a worker thread; ``then(result, error)`` on the GUI thread, ``error``
    being the user message of a failure ("" when it worked). Nothing is delivered once
    ``owner`` (the asking widget) has been deleted."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(1)   # decodes are heavy; one at a time keeps the GUI timer on time
    relay = _Relay(then, owner)
    _RELAYS.add(relay)
    _POOL.start(_Job(relay, work))


__all__ = ["run_in_worker"]
