"""Which process queued a job, and whether that process is still running.

A job queued by a command-line process is that command's intent: if the process dies before
sending it (SIGKILL, power loss, a closed terminal), the next engine start must not send it
silently, or running the command again pays twice. The CLI's engine stamps the jobs it queues
with :func:`process_tag`; every engine start holds the unsent jobs whose queuing process is
gone (:func:`process_alive`). The tag carries the process start time as well as the pid, so
a reused pid is not mistaken for the process that queued the job.
"""

from __future__ import annotations

import os
import sys

#: The history reason and ``Job.held`` text of a job held this way.
HELD_REASON = ("Held: the command that queued it stopped before sending it, so it was not sent "
               "(running that command again would pay twice).")


def _start_time(pid: int) -> str | None:
    """The process start time (clock ticks since boot) from /proc, or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # Field 2 (the command name) may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def process_tag(kind: str = "cli", pid: int | None = None) -> str:
    """``"<kind>:<pid>:<start time>"`` for this process (or ``pid``)."""
    pid = os.getpid() if pid is None else pid
    return f"{kind}:{pid}:{_start_time(pid) or '?'}"


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))  # type: ignore[attr-defined]
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except OSError:
        return False
    rest = stat[stat.rfind(")") + 2:].split()
    return bool(rest) and rest[0] in ("Z", "X")


def process_alive(tag: str) -> bool:
    """Whether the process named by a :func:`process_tag` still runs (a malformed tag: no)."""
    parts = tag.split(":")
    if len(parts) != 3:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if not _pid_exists(pid) or _is_zombie(pid):
        return False
    started = parts[2]
    if started == "?":
        return True  # no start time where it was recorded: trust the pid
    now = _start_time(pid)
    return now is None or now == started


__all__ = ["HELD_REASON", "process_alive", "process_tag"]
