"""The simulator's tasks, uploads and balance kept in a JSON file, so a restart continues them.

Why: demo mode starts a fresh simulator child with every app session. Without this, a demo job
that was processing when the app quit belonged to a server that no longer existed, and demo mode
could not show the restart safety real Modellix gives (a task keeps running on the server while
the app is closed; the app polls and downloads it on its next start).

What is kept: every task record (its timings in wall-clock time, its render's files, its
failure), every uploaded file record and the balance. The file is rewritten atomically after
each change (a submit, a finished render, an upload, a deletion) and on close, so even a killed
child loses at most the change in flight. A task whose render had not finished is rendered again
after loading (renders are deterministic). Not kept: faults, request counters, the key and the
URL-signing secret (clients fetch the task again for fresh result URLs, as they must anyway).

Simulated time across a restart: a task's age is its wall-clock age times the time scale, so
the hours the app was closed count as they would on the real server.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from seedance_desktop.simulator.render import RenderResult
from seedance_desktop.simulator.state import FileRecord, SimClock, TaskRecord

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
FORMAT = 1
#: Real seconds a finished task is kept across restarts (then forgotten, with its render).
KEEP_FINISHED_FOR = 14 * 24 * 3600.0

_TASK_FIELDS = {f.name for f in fields(TaskRecord)} - {"render", "sim_submitted"}
_FILE_FIELDS = {f.name for f in fields(FileRecord)}


def state_file(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def _task_to_json(record: TaskRecord) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in _TASK_FIELDS}
    render = record.render
    data["render"] = None if render is None else {
        **asdict(render), "video_path": str(render.video_path),
        "last_frame_path": str(render.last_frame_path) if render.last_frame_path else None,
    }
    return data


def _task_from_json(data: dict[str, Any], clock: SimClock) -> TaskRecord:
    values = {name: data[name] for name in _TASK_FIELDS if name in data}
    render = data.get("render")
    if isinstance(render, dict):
        last = render.get("last_frame_path")
        values["render"] = RenderResult(**{**render, "video_path": Path(render["video_path"]),
                                           "last_frame_path": Path(last) if last else None})
    # The task's simulated age is its wall-clock age at this session's scale.
    values["sim_submitted"] = clock.now() - (clock.real() - float(data["submitted_at"])) * clock.time_scale
    return TaskRecord(**values)


def dump(tasks: dict[str, TaskRecord], files: dict[str, FileRecord], balance: float) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "balance": balance,
        "tasks": [_task_to_json(record) for record in tasks.values()],
        "files": [{**asdict(record), "path": str(record.path)} for record in files.values()],
    }


def write(path: Path, state: dict[str, Any]) -> None:
    """Atomically replace ``path`` with ``state`` (owner-only: prompts and file names are private)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)


def read(path: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none (or it cannot be read: then we start empty,
    as a fresh simulator would, and say so in the log)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("simulator state %s unreadable, starting empty: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        log.warning("simulator state %s has an unknown format, starting empty", path)
        return None
    return data


def load(data: dict[str, Any], clock: SimClock) -> tuple[dict[str, TaskRecord], dict[str, FileRecord], float | None]:
    tasks: dict[str, TaskRecord] = {}
    files: dict[str, FileRecord] = {}
    for item in data.get("tasks", []):
        try:
            record = _task_from_json(item, clock)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("skipping a saved simulator task: %s", exc)
            continue
        tasks[record.task_id] = record
    for item in data.get("files", []):
        try:
            values = {name: item[name] for name in _FILE_FIELDS if name in item}
            record_file = FileRecord(**{**values, "path": Path(item["path"])})
        except (KeyError, TypeError) as exc:
            log.warning("skipping a saved simulator upload: %s", exc)
            continue
        if record_file.path.is_file():
            files[record_file.file_id] = record_file
    balance = data.get("balance")
    return tasks, files, float(balance) if isinstance(balance, (int, float)) else None


def remove_unused_renders(folder: Path, tasks: Iterable[TaskRecord]) -> int:
    """Delete render files no kept task points at; returns how many were removed."""
    used: set[Path] = set()
    for record in tasks:
        if record.render is not None:
            used.add(record.render.video_path)
            if record.render.last_frame_path is not None:
                used.add(record.render.last_frame_path)
    removed = 0
    for path in folder.glob("*") if folder.is_dir() else ():
        if path.is_file() and path not in used:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def known_task_ids(data_dir: Path) -> set[str]:
    """The task ids a simulator with this data folder will know after it starts (blocking)."""
    data = read(state_file(data_dir))
    if data is None:
        return set()
    return {str(item.get("task_id")) for item in data.get("tasks", []) if isinstance(item, dict)}


__all__ = ["KEEP_FINISHED_FOR", "STATE_FILE", "dump", "remove_unused_renders", "known_task_ids", "load", "read", "state_file", "write"]
