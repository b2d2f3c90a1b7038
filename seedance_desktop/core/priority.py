"""Let the window win the CPU: background threads that decode or encode run at a lower priority.

On a two-core laptop a filmstrip decode or a conform (FFmpeg with its own decoder threads) can
take every core; at normal priority the GUI thread then waits for a time slice and the window
stutters. Linux keeps a nice value per thread (``setpriority`` with a thread id), and threads a
thread creates (FFmpeg's decoder and encoder threads) start with its value, so lowering the
worker thread once covers all its work. Elsewhere this does nothing: macOS and Windows have no
per-thread nice value through ``os``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

#: The nice value background media threads get (0 is normal, 19 the lowest).
BACKGROUND_NICENESS = 10


def lower_thread_priority(niceness: int = BACKGROUND_NICENESS) -> bool:
    """Give the calling thread (and the threads it creates from now on) ``niceness`` on Linux.
    Call it only in threads of one's own: a nice value cannot be raised again without
    privileges, so a shared pool thread would stay slow for whoever uses it next. Returns
    whether the priority was changed."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    thread = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, thread) >= niceness:
            return False   # already as low (a niced app): asking for 10 would be a raise, refused
        os.setpriority(os.PRIO_PROCESS, thread, niceness)
    except OSError as exc:   # a sandbox may forbid it: run at normal priority then
        log.debug("could not lower the thread priority: %s", exc)
        return False
    return True


def thread_niceness() -> int | None:
    """The calling thread's nice value on Linux (None elsewhere): for tests and diagnostics."""
    if not sys.platform.startswith("linux") or not hasattr(os, "getpriority"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


__all__ = ["BACKGROUND_NICENESS", "lower_thread_priority", "thread_niceness"]
