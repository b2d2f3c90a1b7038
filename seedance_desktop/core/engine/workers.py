"""Blocking work (preparing media, downloads, sidecar writes) in worker threads the engine can
wait for when it stops.

Cancelling the coroutine that awaits ``asyncio.to_thread`` does not stop the thread: it runs
on until it notices its cancel event. A thread still running after the engine's loop has
closed would post its last progress call into a dead loop (under qasync that is a queued Qt
event for an object that no longer exists: a crash in the next ``processEvents``). So every
worker call goes through :class:`WorkerThreads`, and :meth:`Engine.stop` drains them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerThreads:
    """Runs blocking calls in threads and remembers the ones still running."""

    def __init__(self) -> None:
        self._unfinished: set[threading.Event] = set()

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a worker thread (like ``asyncio.to_thread``), tracked
        until the thread itself has returned, even when the awaiting task is cancelled."""
        finished = threading.Event()
        self._unfinished.add(finished)

        def call() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                finished.set()

        try:
            return await asyncio.to_thread(call)
        finally:
            if finished.is_set():
                self._unfinished.discard(finished)

    @property
    def busy(self) -> int:
        """How many worker calls have not returned yet."""
        return sum(1 for event in self._unfinished if not event.is_set())

    async def drain(self, timeout: float) -> bool:
        """Wait (without blocking the loop) until every worker call has returned, at most
        ``timeout`` seconds. True when none is left running."""
        pending = [event for event in self._unfinished if not event.is_set()]
        self._unfinished = set(pending)
        if not pending:
            return True
        deadline = time.monotonic() + timeout

        def wait_all() -> bool:
            return all(event.wait(max(0.0, deadline - time.monotonic())) for event in pending)

        done = await asyncio.to_thread(wait_all)
        self._unfinished = {event for event in self._unfinished if not event.is_set()}
        return done


__all__ = ["WorkerThreads"]
