"""At most one engine per job database, across processes.

The window and the command line share one SQLite job store. Two engines on it would both pick
up the same queued job and submit it twice (paid twice), so whoever builds a runtime takes this
lock first (see ``composition.build_runtime``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from seedance_desktop.api.errors import ConfigurationError

class EngineBusyError(ConfigurationError):
    """Another process (the window, or another CLI command) is already running the engine on
    this job database. Two engines would both pick up the same queued job and pay twice."""

    user_message = (
        "Another Seedance Desktop process (the window or a command-line 'wait'/'submit') is "
        "already running this job queue. Use that one, or close it and try again."
    )


class EngineLock:
    """An exclusive, non-blocking lock on ``<data_dir>/engine.lock``.

    Held for the life of a :class:`Runtime`. It is an OS file lock (``flock`` / ``msvcrt``),
    so the kernel releases it when the process dies, even by SIGKILL: no stale lock files.
    Read-only commands (``list``, ``show``) do not take it; SQLite's WAL lets them read while
    the engine writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> EngineLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise EngineBusyError(
                f"engine lock {self.path} is held by another process", user_message=EngineBusyError.user_message
            ) from None
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt

                try:
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
                except OSError:
                    pass
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None



__all__ = ["EngineBusyError", "EngineLock"]
