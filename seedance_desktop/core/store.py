"""The durable job store: one SQLite file, the single source of truth for every paid job.

Why it is built this way:

* **Commit before acting.** :meth:`JobStore.transition` validates the move against
  ``core.job.TRANSITIONS``, appends to the history and commits (WAL, ``synchronous=FULL``) before
  it returns, so the caller only performs the action the new state announces (send the POST,
  start the download) once the row that describes it is on disk. A SIGKILL at any instant leaves
  a state the engine can resume from.
* **Private file.** The database (and its ``-wal``/``-shm`` companions, which SQLite creates with
  the main file's mode) is created 0600 in a 0700 folder: prompts and result URLs are private.
  The API key is never stored here, and result URLs are stored without their (signed) query
  strings: the engine keeps signed URLs in memory and asks the task for fresh ones after a restart.
* **Threads.** One connection guarded by a re-entrant lock, so the engine's event-loop thread and
  an occasional worker thread may both call in; every public method is atomic. Commits run
  synchronously on the event-loop thread (the GUI thread under qasync) on purpose: a state must
  be durable *before* the action it announces, and one small ``synchronous=FULL`` commit costs
  about 0.16 ms here, far below a frame; bulk reads are paged (``list(limit, offset)``).
* **Scale.** Indexes on state and (position, created_at) and ``list(limit, offset)`` paging keep
  a 10,000-job history cheap to show lazily.
* **Progress is not persisted.** Upload/download progress changes ten times a second; writing
  it would cost an fsync each time. ``update(progress=...)`` is accepted and ignored.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from seedance_desktop.core.job import (
    FINAL_STATES,
    InputFile,
    Job,
    JobState,
    Transition,
    UploadRecord,
    check_transition,
)
from seedance_desktop.core.upload_cache import stored_upload_url
from seedance_desktop.core.store_schema import JSON_COLUMNS, MIGRATIONS, SCHEMA_VERSION
from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.urls import scrub_text
from seedance_desktop.core.store_recovery import ESSENTIAL_COLUMNS, StoreRecovery, find_damage, salvage_rows, set_aside
from seedance_desktop.errors import SeedanceError

__all__ = ["JobStore", "StoreError", "JobNotFound", "JobBusyError", "SCHEMA_VERSION", "StoreRecovery"]

log = logging.getLogger(__name__)

_JOB_FIELDS = {f.name for f in fields(Job)}
#: Never written to the database (see the module docstring).
_TRANSIENT = frozenset({"progress"})
#: Only the store changes these: state and history through transition(), id/created_at never.
_PROTECTED = frozenset({"id", "state", "history", "created_at"})


#: Result URLs may carry signed query strings: stored without them (see ``_redact``).
_SIGNED_URL_FIELDS = frozenset({"remote_video_url", "remote_last_frame_url"})

def _redact(text: str | None) -> str | None:
    """Drop query strings from URLs inside free text (reasons, errors) and from the result URL
    fields: signed URLs never reach the database. The engine keeps signed result URLs in memory
    only and asks the task for fresh ones after a restart."""
    return scrub_text(text) if text else text


class StoreError(SeedanceError):
    """The job database cannot be used; ``user_message`` says what to do."""


class JobNotFound(StoreError, KeyError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r}", user_message="That job no longer exists.")
        self.job_id = job_id

    def __str__(self) -> str:  # KeyError would add quotes
        return str(self.args[0])


class JobBusyError(StoreError):
    """Raised by remove() for a job the server holds (or may hold): cancel or wait first."""


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class JobStore:
    """SQLite-backed jobs. See the module docstring for the durability contract."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time, read_only: bool = False) -> None:
        """Open (creating, migrating and, when damaged, recovering) the database at ``path``.

        ``read_only=True`` opens an existing file as it is, for reading only: nothing is created,
        migrated, checked or repaired, and every write fails (the window's first-page preview,
        read before the runtime owns the store). A file that cannot be read raises
        ``sqlite3.DatabaseError``; one from a newer app raises :class:`StoreError`."""
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.RLock()
        #: Set when the file was damaged at open: what was kept where, what was recovered.
        self.recovery: StoreRecovery | None = None
        if read_only:
            self._open_read_only()
            return
        damage = find_damage(self.path)
        if damage is not None:
            self.recovery = StoreRecovery(reason=damage, damaged_copy=set_aside(self.path))
            log.error("job database %s was damaged (%s); kept as %s", self.path, damage, self.recovery.damaged_copy)
        _create_private_file(self.path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so each method is one
            # explicit transaction. check_same_thread=False is safe because of self._lock.
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout = 10000")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot enable WAL on {self.path} (got {mode})")
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
            self._columns = [row["name"] for row in self._db.execute("PRAGMA table_info(jobs)")]
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise StoreError(
                f"cannot open job database {self.path}: {exc}",
                user_message=(
                    f"The job database at {self.path} cannot be read ({exc}). Move the file away "
                    "to start with an empty queue; your downloaded videos are not affected."
                ),
            ) from exc
        except StoreError:
            self._close_quietly()
            raise
        for suffix in ("-wal", "-shm"):
            companion = Path(str(self.path) + suffix)
            if companion.exists():
                os.chmod(companion, 0o600)
        if self.recovery is not None:
            self._restore_from(self.recovery)

    def _open_read_only(self) -> None:
        # mode=ro: SQLite itself refuses every write, so reading can never change the file.
        self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=10.0)
        try:
            self._db.row_factory = sqlite3.Row
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} has schema version {version}, newer than {SCHEMA_VERSION}")
            self._columns = [row["name"] for row in self._db.execute("PRAGMA table_info(jobs)")]
            if not self._columns:
                raise sqlite3.DatabaseError(f"{self.path} has no table of jobs")
        except BaseException:
            self._close_quietly()
            raise

    def _restore_from(self, recovery: StoreRecovery) -> None:
        """Copy every job the damaged file still holds into this (new) database."""
        whole, partial, recovery.unreadable = salvage_rows(recovery.damaged_copy)
        note = f"Recovered from a damaged job database (kept at {recovery.damaged_copy})."
        jobs: list[Job] = []
        for row in whole:
            try:
                jobs.append(self._from_row(row))
            except Exception:  # noqa: BLE001 - a row that decodes badly is rebuilt from its essentials
                partial.append({k: row.get(k) for k in ESSENTIAL_COLUMNS})
        for row in partial:
            job = _essential_job(row)
            if job is not None:
                recovery.partial.append(job.id)
                jobs.append(job)
            else:
                recovery.unreadable += 1
        now = self._clock()
        with self._lock, self._transaction():
            for job in jobs:
                job.history.append(Transition(at=now, old=job.state, new=job.state, reason=note))
                try:
                    self._write(job, insert=True)
                except sqlite3.IntegrityError:
                    recovery.unreadable += 1  # the same id twice in a damaged file: keep the first
                else:
                    recovery.recovered += 1

    # ----------------------------------------------------------------- lifecycle

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than {SCHEMA_VERSION}",
                user_message=(
                    "The job database was written by a newer Seedance Desktop. Update the app, "
                    "or move the database file away to start fresh."
                ),
            )
        for target in range(version, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._close_quietly()

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            try:
                db.close()
            finally:
                self._db = None  # type: ignore[assignment]

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- (de)serialising

    def _to_row(self, job: Job) -> dict[str, Any]:
        row: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name in _JOB_FIELDS - _TRANSIENT:
            value = getattr(job, name)
            if name == "state":
                value = job.state.value
            elif name == "history":
                value = [
                    {"at": t.at, "old": t.old.value if t.old else None, "new": t.new.value, "reason": t.reason}
                    for t in job.history
                ]
            elif name == "inputs":
                value = [asdict(i) if isinstance(i, InputFile) else dict(i) for i in job.inputs]
            elif name in _SIGNED_URL_FIELDS:
                value = _redact(value)
            if name in self._columns:
                row[name] = value
            else:
                extra[name] = value
        row["extra"] = extra
        # default=str: a Path that slipped into a request is stored as its text, not a crash.
        return {k: json.dumps(v, default=str) if k in JSON_COLUMNS else v for k, v in row.items()}

    def _from_row(self, row: sqlite3.Row | dict[str, Any]) -> Job:
        data: dict[str, Any] = {}
        for key in row.keys():
            if key not in self._columns and key != "extra":
                continue
            value = row[key]
            if key in JSON_COLUMNS and value is not None:
                try:
                    value = json.loads(value)
                except (TypeError, ValueError):
                    # A damaged cell must not make the whole queue unreadable: the field
                    # falls back to its default, the rest of the job (its task id) survives.
                    log.error("job %s: column %s is not valid JSON; using its default", row["id"], key)
                    value = None
            data[key] = value
        extra = data.pop("extra", None) or {}
        for key, value in extra.items():
            if key in _JOB_FIELDS and key not in data:
                data[key] = value
        data = {k: v for k, v in data.items() if k in _JOB_FIELDS}
        data["state"] = _readable_state(data.get("state"), data.get("task_id"))
        data["history"] = [
            Transition(at=h["at"], old=JobState(h["old"]) if h.get("old") else None, new=JobState(h["new"]), reason=h.get("reason", ""))
            for h in data.get("history") or []
        ]
        input_fields = {f.name for f in fields(InputFile)}
        data["inputs"] = [InputFile(**{k: v for k, v in i.items() if k in input_fields}) for i in data.get("inputs") or []]
        data["request"] = data.get("request") or {}
        return Job(**data)

    def _write(self, job: Job, *, insert: bool) -> None:
        row = self._to_row(job)
        names = builtins.list(row)
        if insert:
            sql = f"INSERT INTO jobs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            self._db.execute(sql, [row[n] for n in names])
        else:
            sets = ", ".join(f"{n} = ?" for n in names if n != "id")
            self._db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [row[n] for n in names if n != "id"] + [job.id])

    def _load(self, job_id: str) -> Job:
        row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return self._from_row(row)

    def _transaction(self) -> _Tx:
        return _Tx(self._db)

    # ----------------------------------------------------------------- writes

    def add(self, job: Job, reason: str = "created") -> Job:
        """Insert a new job (committed before returning). Its first history entry records
        ``reason`` unless the job already carries a history (e.g. imported)."""
        self.add_many([job], reason=reason)
        return job

    def add_many(self, jobs: Iterable[Job], reason: str = "created") -> None:
        """Insert several jobs in one transaction (one fsync instead of one per job)."""
        now = self._clock()
        with self._lock, self._transaction():
            for job in jobs:
                if not job.history:
                    job.history.append(Transition(at=now, old=None, new=job.state, reason=reason))
                try:
                    self._write(job, insert=True)
                except sqlite3.IntegrityError as exc:
                    raise StoreError(f"job {job.id} already exists") from exc

    def transition(self, job_id: str, new_state: JobState, reason: str = "", **fields_: Any) -> Job:
        """Move a job to ``new_state`` (checked against the transition table), record the move
        in its history and write ``fields_`` with it: one transaction, committed (fsynced)
        before this returns. Raises ``IllegalTransition`` (nothing written) or ``JobNotFound``."""
        self._check_fields(fields_)
        with self._lock, self._transaction():
            job = self._load(job_id)
            old = job.state
            check_transition(job_id, old, new_state)
            now = self._clock()
            self._apply(job, fields_)
            job.history.append(Transition(at=now, old=old, new=new_state, reason=_redact(reason) or ""))
            job.state = new_state
            job.updated_at = now
            # Timestamps the engine would otherwise have to remember to set.
            if new_state in FINAL_STATES and "finished_at" not in fields_:
                job.finished_at = now
            if (
                old is JobState.SUBMITTING
                and new_state in (JobState.SUBMITTED, JobState.PROCESSING, JobState.DOWNLOADING)
                and job.submitted_at is None
            ):
                job.submitted_at = now
            self._write(job, insert=False)
        return job

    def update(self, job_id: str, **fields_: Any) -> Job:
        """Change non-state fields (task id, paths, URLs, request of a queued job...)."""
        self._check_fields(fields_)
        with self._lock, self._transaction():
            job = self._load(job_id)
            self._apply(job, fields_)
            job.updated_at = self._clock()
            self._write(job, insert=False)
        return job

    def remove(self, job_id: str) -> None:
        """Delete a job that is local (never sent) or final. Anything the server holds or may
        hold raises ``JobBusyError``: removing it would lose track of a paid task."""
        with self._lock, self._transaction():
            job = self._load(job_id)
            if not (job.state.is_local or job.state.is_final):
                raise JobBusyError(
                    f"job {job_id} is {job.state.value}",
                    user_message=f"This job is {job.state.label.lower()}; wait until it finishes before removing it.",
                )
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def move(self, job_id: str, position: float) -> Job:
        """Set a job's queue position (lower runs first; fractional values slot between)."""
        with self._lock, self._transaction():
            job = self._load(job_id)
            job.position = float(position)
            job.updated_at = self._clock()
            self._db.execute("UPDATE jobs SET position = ?, updated_at = ? WHERE id = ?", (job.position, job.updated_at, job_id))
        return job

    @staticmethod
    def _check_fields(values: dict[str, Any]) -> None:
        unknown = set(values) - _JOB_FIELDS
        if unknown:
            raise ValueError(f"unknown job field(s): {', '.join(sorted(unknown))}")
        protected = set(values) & _PROTECTED
        if protected:
            raise ValueError(f"field(s) {', '.join(sorted(protected))} can only be changed by the store")

    @staticmethod
    def _apply(job: Job, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in _TRANSIENT:
                continue
            if name == "inputs":
                value = [v if isinstance(v, InputFile) else InputFile(**v) for v in value]
            elif name == "error":
                value = _redact(value)
            setattr(job, name, value)

    # ----------------------------------------------------------------- upload records

    def remember_upload(self, record: UploadRecord) -> None:
        """Keep (or replace) what is known about one uploaded file (``core.upload_cache``).
        The URL is stored without a signed query string (see the schema's v3 note)."""
        url = stored_upload_url(record.url)
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO uploads (sha256, url, file_id, size, uploaded_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (record.sha256, url, record.file_id, record.size, record.uploaded_at, record.expires_at))

    def upload_records(self) -> builtins.list[UploadRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM uploads ORDER BY uploaded_at").fetchall()
        return [UploadRecord(sha256=r["sha256"], url=r["url"], file_id=r["file_id"], size=r["size"],
                             uploaded_at=r["uploaded_at"], expires_at=r["expires_at"]) for r in rows]

    def forget_upload(self, sha256: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM uploads WHERE sha256 = ?", (sha256,))

    # ----------------------------------------------------------------- reads

    def get(self, job_id: str) -> Job:
        """The job with this id; raises ``JobNotFound`` (a ``KeyError``) if there is none."""
        with self._lock:
            return self._load(job_id)

    def find(self, job_id: str) -> Job | None:
        """Like :meth:`get`, but ``None`` for a missing job."""
        try:
            return self.get(job_id)
        except JobNotFound:
            return None

    def find_by_task_id(self, task_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE task_id = ? LIMIT 1", (task_id,)).fetchone()
            return self._from_row(row) if row is not None else None

    def list(
        self, states: Iterable[JobState] | None = None, limit: int | None = None, offset: int = 0
    ) -> builtins.list[Job]:
        """Jobs ordered by (position, created_at), optionally only some states, paged."""
        sql = "SELECT * FROM jobs"
        params: builtins.list[Any] = []
        if states is not None:
            values = [s.value for s in states]
            if not values:
                return []
            sql += f" WHERE state IN ({', '.join('?' for _ in values)})"
            params += values
        sql += " ORDER BY position, created_at, id"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [-1 if limit is None else int(limit), int(offset)]
        with self._lock:
            return [self._from_row(r) for r in self._db.execute(sql, params)]

    def ids(self) -> builtins.list[str]:
        """All job ids in display order (cheap: no JSON decoding)."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM jobs ORDER BY position, created_at, id")]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def count_by_state(self) -> dict[JobState, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {JobState(state): int(n) for state, n in rows}

    def unfinished(self) -> builtins.list[Job]:
        """Every job not in a final state: what the engine resumes after a restart."""
        return self.list(states=[s for s in JobState if s not in FINAL_STATES])

    def next_position(self) -> float:
        """A position after every existing job (for appending to the queue)."""
        with self._lock:
            value = self._db.execute("SELECT MAX(position) FROM jobs").fetchone()[0]
        return 0.0 if value is None else float(value) + 1.0

    def updated_since(self, since: float) -> builtins.list[Job]:
        """Jobs changed at or after ``since`` (epoch seconds): every job the ledger can count
        for a period starting then (it was sent, estimated or billed no earlier than its last
        change), read without decoding the whole history of jobs."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE updated_at >= ?", (since,))
            return [self._from_row(r) for r in rows]

    def group(self, group_id: str) -> builtins.list[Job]:
        """The jobs of one batch (``Job.group_id``), in queue order."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE group_id = ? ORDER BY position, created_at, id", (group_id,))
            return [self._from_row(r) for r in rows]

    def prompts(self) -> builtins.list[tuple[str, float, str]]:
        """(prompt, created_at, job id) of every job, newest first: prompt history reads the
        jobs' own requests rather than keeping a second copy of each prompt."""
        with self._lock:
            rows = self._db.execute("SELECT id, created_at, request FROM jobs ORDER BY created_at DESC, id").fetchall()
        found: builtins.list[tuple[str, float, str]] = []
        for row in rows:
            try:
                request = json.loads(row["request"] or "{}")
            except (TypeError, ValueError):
                continue
            prompt = request.get("prompt") if isinstance(request, dict) else None
            if isinstance(prompt, str) and prompt.strip():
                found.append((prompt, float(row["created_at"]), str(row["id"])))
        return found

    def set_prompt_star(self, prompt: str, starred: bool) -> None:
        """Star (or unstar) a prompt text: a favourite in the prompt history."""
        with self._lock, self._transaction():
            if starred:
                self._db.execute("INSERT OR REPLACE INTO prompt_stars (prompt, starred_at) VALUES (?, ?)", (prompt, self._clock()))
            else:
                self._db.execute("DELETE FROM prompt_stars WHERE prompt = ?", (prompt,))

    def starred_prompts(self) -> set[str]:
        with self._lock:
            return {str(r[0]) for r in self._db.execute("SELECT prompt FROM prompt_stars")}


def _readable_state(value: object, task_id: object) -> JobState:
    """A stored state, or, for a value no version of the app wrote, the safest reading: a job
    with a task id is followed up on the server, one without is shown as failed."""
    try:
        return JobState(value)
    except ValueError:
        return JobState.SUBMITTED if task_id else JobState.FAILED


def _essential_job(row: dict[str, Any]) -> Job | None:
    """A job rebuilt from the few columns a damaged row still gave (None without an id). A
    job with a task id is followed up (polled) so its paid result can still be fetched."""
    job_id = row.get("id")
    if not isinstance(job_id, str) or not job_id:
        return None
    task_id = row.get("task_id") if isinstance(row.get("task_id"), str) else None
    state = _readable_state(row.get("state"), task_id)
    if state is JobState.SUBMITTING or (state.is_active and not task_id):
        # Sent, but the task id is lost with the damaged cell: nothing to poll; the person
        # checks the dashboard (the same decision as a POST whose answer never came).
        state = JobState.OUTCOME_UNKNOWN
    try:
        request = json.loads(row["request"]) if isinstance(row.get("request"), str) else {}
    except ValueError:
        request = {}
    created = row.get("created_at")
    job = Job(id=job_id, model=str(row.get("model") or DEFAULT_MODEL), request=request if isinstance(request, dict) else {},
              state=state, task_id=task_id, result_url=row.get("result_url") if isinstance(row.get("result_url"), str) else None,
              video_path=row.get("video_path") if isinstance(row.get("video_path"), str) else None)
    if isinstance(created, (int, float)):
        job.created_at = float(created)
    if state is JobState.FAILED and not task_id:
        job.error = "This job's record was damaged and only partly recovered; nothing shows it was sent."
    return job


class _Tx:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on any exception). IMMEDIATE takes
    the write lock up front so a read-modify-write cannot interleave with another process."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        if self._db is None:
            raise StoreError("the job store is closed")
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
