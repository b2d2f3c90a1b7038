"""Logging set-up shared by the window and the command line.

One rotating, private (0600) log file in the log folder; every record passes through
``api.redact`` so the API key, ``Bearer`` tokens and signed URL query strings never reach it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from seedance_desktop.api.redact import install_log_redaction
from seedance_desktop.core.paths import AppPaths

LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 3
#: ``--log-level`` choices of the window and the command line.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_HANDLER_MARK = "_seedance_log_file"


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates every log file (also the fresh one after a rollover) readable by the user only:
    logs hold prompts and file names."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def setup_logging(paths: AppPaths, *, secrets: tuple[str, ...] = (), level: int = logging.INFO) -> Path:
    """Log to a rotating, private file in the log folder, with the key and signed URL query
    strings masked in every record (``api.redact``). Safe to call again: the previous file
    handler installed by this function is replaced, not duplicated. Returns the log file."""
    paths.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = paths.log_file
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
    handler = _PrivateRotatingFileHandler(
        log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    # After adding the handler, so it gets the redacting filter too.
    install_log_redaction(secrets)
    return log_file


def parse_log_level(name: str | None, default: int = logging.INFO) -> int:
    """``--log-level`` text (any case) to a logging level; None gives ``default``."""
    if not name:
        return default
    level = logging.getLevelName(name.upper())
    if name.upper() not in LOG_LEVELS or not isinstance(level, int):
        raise ValueError(f"unknown log level {name!r}: use one of {', '.join(LOG_LEVELS)}")
    return level


def set_package_level(level: int) -> None:
    """Let our own records through at ``level`` (DEBUG included) without opening the root
    logger to every library's debug chatter."""
    logging.getLogger("seedance_desktop").setLevel(level)


def last_log_lines(paths: AppPaths, count: int = 60) -> list[str]:
    """The last ``count`` lines of the current log file (blocking: call from a worker). They
    were redacted when written; callers showing them still pass them through redaction, since
    the key may have been set after an older line was written."""
    try:
        with open(paths.log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))  # enough for any sane tail, bounded
            data = handle.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:] if count > 0 else []


def close_logging() -> None:
    """Remove and close the file handler installed by :func:`setup_logging`."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()

__all__ = [
    "LOG_BACKUPS",
    "LOG_LEVELS",
    "LOG_MAX_BYTES",
    "close_logging",
    "last_log_lines",
    "parse_log_level",
    "set_package_level",
    "setup_logging",
]
