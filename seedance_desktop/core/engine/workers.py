"""Blocking work (preparing media, downloads, sidecar writes) in worker threads the engine can
wait for when it stops.

Cancelling the coroutine that awaits ``asyncio.to_thread`` does not stop the thread: it runs
on until it notices its cancel event. A thread still running after the engine's loop has
closed would post its last progress call into a dead loop (under qasync that is a queued Qt
event for an object that no longer exists: a crash in the next ``processEvents``). So every
worker call goes through :class:`WorkerThreads`, and :meth:`Engine.stop` drains them.

CPU-heavy calls (the PREPARING step's conform: FFmpeg decoding and encoding on every core) go
through :meth:`WorkerThreads.run_low_priority`: a thread of their own at a lower CPU priority
(``core.priority``), so the window, or the command line's progress, keeps its time slices.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from seedance_desktop.core.priority import lower_thread_priority

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

    async def run_low_priority(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Like :meth:`run`, with ``fn`` in a fresh thread at a lower CPU priority (Linux). A
        thread of its own because a lowered priority cannot be raised again: the executor's
        shared threads (downloads, the store) must keep theirs."""
        return await self.run(_in_own_low_priority_thread, functools.partial(fn, *args, **kwargs))

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


def _in_own_low_priority_thread(call: Callable[[], T]) -> T:
    """``call()`` in a new thread at background priority, waited for; its result or exception
    is this call's. The new thread is a daemon exactly when the calling one is (the command
    line's executor uses daemon threads so that a stop never waits for them)."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        lower_thread_priority()
        try:
            outcome.append(call())
        except BaseException as exc:  # noqa: BLE001 - raised again in the waiting thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="seedance-prepare")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


__all__ = ["WorkerThreads"]
