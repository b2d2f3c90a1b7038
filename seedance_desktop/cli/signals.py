"""How a command stops on a signal: SIGTERM and SIGHUP (a closed terminal) behave exactly like
Ctrl+C (SIGINT, which ``asyncio.run`` already turns into a cancellation of the main task).

The first signal cancels the command's main task, so the command stops the way Ctrl+C stops
it: a job it created that was not sent yet is cancelled (``commands._cancel_if_unsent``),
everything sent stays resumable (the engine's ``stop()`` gives a POST on the wire its grace
period), and the exit code is ``EXIT_INTERRUPTED``. Later signals are ignored while that clean
stop runs, so a second SIGHUP or SIGTERM cannot cut it short. The crash test's worker installs
the same handlers (it imports this function) so it is killed the way the CLI is.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

log = logging.getLogger(__name__)

#: The signals handled like Ctrl+C (where the platform has them).
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def install_stop_signals(stop: Callable[[], object] | None = None) -> Callable[[], signal.Signals | None]:
    """On the running loop, make the first SIGTERM/SIGHUP call ``stop`` (default: cancel the
    current task). Returns a function telling which signal arrived (None: none yet)."""
    loop = asyncio.get_running_loop()
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


__all__ = ["STOP_SIGNALS", "install_stop_signals"]
