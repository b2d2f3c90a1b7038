"""How a command stops on a signal: SIGTERM and SIGHUP (a closed terminal) behave exactly like
Ctrl+C (SIGINT, which ``asyncio.run`` already turns into a cancellation of the main task).

The first signal cancels the command's main task, so the command stops the way Ctrl+C stops
it: a job it created that was not sent yet is cancelled (``commands._cancel_if_unsent``),
everything sent stays resumable (the engine's ``stop()`` gives a POST on the wire its grace
period), and the exit code is ``EXIT_INTERRUPTED``. Later signals are ignored while that clean
stop runs, so a second SIGHUP or SIGTERM cannot cut it short. The crash test's worker installs
the same handlers (it imports this function) so it is killed the way the CLI is.

A stop must not wait for a worker thread stuck in a network read (an upload whose answer never
comes would hold the exit for the whole read timeout): the loop's default executor runs each
call in its own daemon thread, which the interpreter does not wait for at exit. Everything the
thread's result would have changed is abandoned with the cancelled coroutine, and every state
change was committed before the step began, so the job resumes from the store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

#: The signals handled like Ctrl+C (where the platform has them).
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class DaemonThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Each call in a new daemon thread; ``shutdown`` never waits (see the module docstring)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - handed to the awaiting coroutine
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="seedance-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def install_stop_signals(stop: Callable[[], object] | None = None) -> Callable[[], signal.Signals | None]:
    """On the running loop, make the first SIGTERM/SIGHUP call ``stop`` (default: cancel the
    current task), and run worker threads as daemons. Returns a function telling which signal
    arrived (None: none yet)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(DaemonThreadExecutor(max_workers=1))
    if stop is None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("install_stop_signals() needs a running task")
        stop = task.cancel
    received: list[signal.Signals] = []

    def handler(sig: signal.Signals) -> None:
        if received:
            log.info("%s ignored: already stopping", sig.name)
            return
        received.append(sig)
        log.info("%s: stopping cleanly", sig.name)
        assert stop is not None
        stop()

    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, handler, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not on this platform/thread
            pass
    return lambda: received[0] if received else None


__all__ = ["STOP_SIGNALS", "DaemonThreadExecutor", "install_stop_signals"]
