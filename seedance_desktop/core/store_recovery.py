"""Checking the job database at open, and salvaging what a damaged one still holds.

The job database is the only record of which paid tasks exist (Modellix has no list-tasks
endpoint), so a damaged file must never silently become an empty queue: a 0-byte file, a file
that is not a database, page corruption or a dropped table is detected when the store opens.
The damaged file is then kept beside the new one under a dated name (with its ``-wal``), every
row that can still be read is copied into a fresh database, and rows that cannot be decoded
whole are rebuilt from the columns that matter most — the task id first, so a paid result can
still be fetched. :class:`StoreRecovery` says what happened in words both faces show.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.core.store_schema import SCHEMA_VERSION

#: Columns read one by one when a row cannot be read whole (most important first).
ESSENTIAL_COLUMNS = ("id", "task_id", "state", "model", "created_at", "request", "video_path", "result_url")
#: Rows probed one by one at most, when the table cannot even be scanned.
MAX_PROBED_ROWS = 200_000


@dataclass
class StoreRecovery:
    """What opening a damaged job database did."""

    reason: str                 # what was wrong, in words
    damaged_copy: Path          # where the damaged file was kept
    recovered: int = 0          # jobs copied into the new database
    unreadable: int = 0         # rows nothing could be read from
    partial: list[str] = field(default_factory=list)  # ids of jobs rebuilt from a few columns

    @property
    def user_message(self) -> str:
        parts = [f"The job database was damaged ({self.reason}). The damaged file was kept at "
                 f"{self.damaged_copy}."]
        if self.recovered:
            parts.append(f"{self.recovered} job(s) were recovered"
                         + (f", {len(self.partial)} of them only in part (task id and state)" if self.partial else "")
                         + "; jobs already sent to Modellix will be followed up as usual.")
        else:
            parts.append("No job could be read from it.")
        if self.unreadable:
            parts.append(f"{self.unreadable} row(s) could not be read at all.")
        return " ".join(parts)


def _companions(path: Path) -> list[Path]:
    return [Path(str(path) + suffix) for suffix in ("-wal", "-shm")]


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    # mode=ro: inspecting must never "repair" (and so change) the evidence.
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
    try:
        db.row_factory = sqlite3.Row
        yield db
    finally:
        db.close()


def find_damage(path: Path) -> str | None:
    """``None`` when the database at ``path`` is sound (or does not exist yet), else the
    problem in words. Costs one ``PRAGMA quick_check`` (milliseconds for 10,000 jobs)."""
    if not path.exists():
        return None
    wal = _companions(path)[0]
    if path.stat().st_size == 0:
        if wal.exists() and wal.stat().st_size > 0:
            return None  # SQLite rebuilds the pages from the write-ahead log
        return "the file is empty (0 bytes)"
    try:
        with _read_only(path) as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            result = [str(row[0]) for row in db.execute("PRAGMA quick_check(5)")]
            if result != ["ok"]:
                return "pages are corrupt: " + "; ".join(result)[:200]
            tables = {str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            # A newer app's database is not damage: the store refuses it with its own message.
            if 0 < version <= SCHEMA_VERSION and "jobs" not in tables:
                return "its table of jobs is missing"
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None


def set_aside(path: Path, *, now: _dt.datetime | None = None) -> Path:
    """Move the damaged database (and its -wal/-shm) to a dated name beside it; return it."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, target)
    for companion, suffix in zip(_companions(path), ("-wal", "-shm")):
        if companion.exists():
            os.replace(companion, Path(str(target) + suffix))
    return target


def salvage_rows(damaged: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(whole rows, partial rows, unreadable count) read from a damaged database. Whole rows
    carry every column; partial rows only those of :data:`ESSENTIAL_COLUMNS` that could be read."""
    whole: list[dict[str, Any]] = []
    partial: list[dict[str, Any]] = []
    unreadable = 0
    try:
        with _read_only(damaged) as db:
            try:
                return [dict(row) for row in db.execute("SELECT * FROM jobs")], [], 0
            except sqlite3.DatabaseError:
                pass  # a scan that hits a bad page: read row by row instead
            try:
                top = int(db.execute("SELECT max(rowid) FROM jobs").fetchone()[0] or 0)
            except (sqlite3.DatabaseError, TypeError):
                top = MAX_PROBED_ROWS
            for rowid in range(1, min(top, MAX_PROBED_ROWS) + 1):
                try:
                    row = db.execute("SELECT * FROM jobs WHERE rowid = ?", (rowid,)).fetchone()
                    if row is not None:
                        whole.append(dict(row))
                    continue
                except sqlite3.DatabaseError:
                    pass
                found: dict[str, Any] = {}
                for column in ESSENTIAL_COLUMNS:
                    with contextlib.suppress(sqlite3.DatabaseError):
                        cell = db.execute(f"SELECT {column} FROM jobs WHERE rowid = ?", (rowid,)).fetchone()
                        if cell is not None:
                            found[column] = cell[0]
                if found.get("id"):
                    partial.append(found)
                else:
                    unreadable += 1
    except sqlite3.DatabaseError:
        pass  # not a database at all: nothing to read
    return whole, partial, unreadable


__all__ = ["ESSENTIAL_COLUMNS", "StoreRecovery", "find_damage", "salvage_rows", "set_aside"]
