"""The durable job store: commit-before-act, history, permissions, migrations, scale, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedance_desktop.core.job import IllegalTransition, InputFile, Job, JobState
from seedance_desktop.core.store import JobBusyError, JobNotFound, JobStore, StoreError
from seedance_desktop.core.store_schema import MIGRATIONS, SCHEMA_VERSION

S = JobState


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    s = JobStore(tmp_path / "data" / "jobs.sqlite3")
    yield s
    s.close()


def _job(**kw: object) -> Job:
    base: dict[str, object] = {
        "request": {"prompt": "a cat surfing", "seed": 42, "resolution": "480p"},
        "inputs": [InputFile(field="video_urls", index=0, local_path="/tmp/in.mp4")],
    }
    base.update(kw)
    return Job(**base)  # type: ignore[arg-type]


def test_add_get_round_trip(store: JobStore) -> None:
    job = _job(raw_task={"status": "pending"}, cost=0.5)
    store.add(job)
    got = store.get(job.id)
    assert got.request == job.request
    assert got.inputs == job.inputs
    assert got.state is S.QUEUED
    assert got.cost == 0.5 and got.raw_task == {"status": "pending"}
    assert [(t.old, t.new, t.reason) for t in got.history] == [(None, S.QUEUED, "created")]
    assert store.count() == 1
    with pytest.raises(JobNotFound):
        store.get("nope")
    assert store.find("nope") is None
    with pytest.raises(StoreError):
        store.add(Job(id=job.id))


def test_transition_is_committed_and_visible_from_a_second_connection(store: JobStore) -> None:
    job = store.add(_job())
    result = store.transition(job.id, S.SUBMITTING, "sending")
    assert result.state is S.SUBMITTING
    # A separate connection (as a restarted process would have) sees it at once.
    other = sqlite3.connect(str(store.path))
    try:
        assert other.execute("SELECT state FROM jobs WHERE id=?", (job.id,)).fetchone()[0] == "submitting"
    finally:
        other.close()
    done = store.transition(job.id, S.SUBMITTED, "accepted", task_id="task-1", result_url="https://x/t/1")
    assert done.task_id == "task-1" and done.submitted_at is not None
    again = JobStore(store.path)
    try:
        assert again.get(job.id).task_id == "task-1"
        assert again.find_by_task_id("task-1").id == job.id  # type: ignore[union-attr]
    finally:
        again.close()


def test_illegal_transition_raises_and_writes_nothing(store: JobStore) -> None:
    job = store.add(_job())
    with pytest.raises(IllegalTransition):
        store.transition(job.id, S.DONE, "skip ahead", video_path="/x.mp4")
    got = store.get(job.id)
    assert got.state is S.QUEUED and got.video_path is None and len(got.history) == 1


def test_history_records_every_move_with_reasons(store: JobStore) -> None:
    clock = iter(range(100, 200))
    s = JobStore(store.path, clock=lambda: float(next(clock)))
    try:
        job = s.add(_job())
        for state, reason in [
            (S.UPLOADING, "upload"),
            (S.SUBMITTING, "post"),
            (S.PROCESSING, "server says processing"),
            (S.DOWNLOADING, "success"),
            (S.DONE, "saved"),
        ]:
            s.transition(job.id, state, reason)
        got = s.get(job.id)
        assert [t.new for t in got.history] == [S.QUEUED, S.UPLOADING, S.SUBMITTING, S.PROCESSING, S.DOWNLOADING, S.DONE]
        assert [t.old for t in got.history][1:] == [S.QUEUED, S.UPLOADING, S.SUBMITTING, S.PROCESSING, S.DOWNLOADING]
        assert got.history[-1].reason == "saved"
        assert [t.at for t in got.history] == sorted(t.at for t in got.history)
        assert got.finished_at == got.history[-1].at
    finally:
        s.close()


def test_signed_query_strings_do_not_reach_history_or_error(store: JobStore) -> None:
    job = store.add(_job())
    store.transition(job.id, S.FAILED, "GET https://cdn.x/v.mp4?X-Amz-Signature=SECRET failed",
                     error="gone: https://cdn.x/v.mp4?sig=SECRET")
    got = store.get(job.id)
    raw = store.path.read_bytes() + Path(str(store.path) + "-wal").read_bytes()
    assert b"SECRET" not in raw
    assert "https://cdn.x/v.mp4" in got.history[-1].reason and "https://cdn.x/v.mp4" in (got.error or "")


def test_update_changes_fields_but_not_state_and_ignores_progress(store: JobStore) -> None:
    job = store.add(_job())
    store.update(job.id, request={"prompt": "new"}, inputs=[{"field": "video_urls", "index": 0, "local_path": "/b.mp4"}], progress=0.5)
    got = store.get(job.id)
    assert got.request == {"prompt": "new"}
    assert got.inputs[0].local_path == "/b.mp4"
    assert got.progress is None
    with pytest.raises(ValueError):
        store.update(job.id, state=S.DONE)
    with pytest.raises(ValueError):
        store.update(job.id, no_such_field=1)


def test_remove_only_local_or_final(store: JobStore) -> None:
    queued, active, done = store.add(_job()), store.add(_job()), store.add(_job())
    store.transition(active.id, S.SUBMITTING)
    store.transition(done.id, S.CANCELLED, "user")
    store.remove(queued.id)
    store.remove(done.id)
    with pytest.raises(JobBusyError) as info:
        store.remove(active.id)
    assert "wait" in info.value.user_message
    assert [j.id for j in store.list()] == [active.id]


def test_ordering_move_unfinished_and_counts(store: JobStore) -> None:
    a = store.add(_job(position=store.next_position()))
    b = store.add(_job(position=store.next_position()))
    c = store.add(_job(position=store.next_position()))
    assert [j.id for j in store.list()] == [a.id, b.id, c.id]
    store.move(c.id, -1)
    assert store.ids() == [c.id, a.id, b.id]
    store.transition(a.id, S.CANCELLED)
    store.transition(b.id, S.SUBMITTING)
    store.transition(b.id, S.SUBMITTED, task_id="t")
    store.transition(b.id, S.DOWNLOADING)
    assert {j.id for j in store.unfinished()} == {b.id, c.id}
    assert store.count_by_state() == {S.CANCELLED: 1, S.DOWNLOADING: 1, S.QUEUED: 1}
    assert [j.id for j in store.list(states=[S.QUEUED, S.CANCELLED])] == [c.id, a.id]
    assert store.list(states=[]) == []


def test_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        s = JobStore(tmp_path / "d" / "jobs.sqlite3")
        s.add(_job())
    finally:
        os.umask(old)
    try:
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(s.path) + suffix)
            assert p.exists(), p
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p, oct(p.stat().st_mode))
    finally:
        s.close()


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(str(path))
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO jobs (id, state, position, created_at, updated_at, model, request, inputs, history) "
        "VALUES ('old1', 'submitted', 0, 1.0, 1.0, 'm', '{\"prompt\": \"p\"}', '[]', "
        "'[{\"at\": 1.0, \"old\": null, \"new\": \"queued\", \"reason\": \"created\"}]')"
    )
    db.commit()
    db.close()
    s = JobStore(path)
    try:
        assert s.schema_version == SCHEMA_VERSION == 4
        job = s.get("old1")
        assert job.state is S.SUBMITTED and job.prompt == "p"
        s.transition("old1", S.PROCESSING, "poll")
        assert s.get("old1").state is S.PROCESSING
    finally:
        s.close()


def test_refuses_a_newer_schema_and_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    db = sqlite3.connect(str(path))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(StoreError) as info:
        JobStore(path)
    assert "newer" in info.value.user_message



# --------------------------------------------------------------- damaged databases (issue 8 item 14)


def _paid_jobs(path: Path, count: int) -> list[Job]:
    """``count`` jobs that reached Modellix (each with a task id), stored and closed."""
    jobs = []
    with JobStore(path) as store:
        for n in range(count):
            job = store.add(_job(request={"prompt": f"job {n} " + "x" * 600, "seed": n}))
            store.transition(job.id, JobState.SUBMITTING)
            jobs.append(store.transition(job.id, JobState.SUBMITTED, task_id=f"task-{n}"))
    return jobs


def test_a_file_that_is_not_a_database_is_kept_and_the_app_starts(tmp_path: Path) -> None:
    bad = tmp_path / "jobs.sqlite3"
    bad.write_bytes(b"this is not a database at all" * 100)
    with JobStore(bad) as store:
        assert store.recovery is not None and store.list() == []
        kept = store.recovery.damaged_copy
        assert kept.read_bytes() == b"this is not a database at all" * 100
        assert str(kept) in store.recovery.user_message and "damaged" in store.recovery.user_message


def test_an_empty_file_is_damage_not_an_empty_queue(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _paid_jobs(path, 2)
    for companion in (Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        companion.unlink(missing_ok=True)
    path.write_bytes(b"")
    with JobStore(path) as store:
        assert store.recovery is not None and "empty" in store.recovery.reason
    with JobStore(path) as again:  # the new database is sound: no second recovery
        assert again.recovery is None


def test_page_corruption_keeps_the_file_and_recovers_the_task_ids(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    jobs = _paid_jobs(path, 60)
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # scribble over a page in the middle (not the header)
        handle.seek(size // 2)
        handle.write(os.urandom(4096))
    with JobStore(path) as store:
        assert store.recovery is not None
        recovered = {job.task_id for job in store.unfinished()}
        assert store.recovery.recovered == len(store.list(limit=1000))
        # Most rows survive a one-page scribble, and every recovered one is still followed up.
        assert len(recovered) >= 40 and recovered <= {job.task_id for job in jobs}
        assert all(job.state is JobState.SUBMITTED for job in store.unfinished())
        assert store.recovery.damaged_copy.exists()


def test_a_dropped_table_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _paid_jobs(path, 1)
    db = sqlite3.connect(str(path))
    db.execute("DROP TABLE jobs")
    db.commit()
    db.close()
    with JobStore(path) as store:
        assert store.recovery is not None and "missing" in store.recovery.reason


def test_a_bad_row_does_not_make_the_queue_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    first, second = _paid_jobs(path, 2)
    db = sqlite3.connect(str(path))
    db.execute("UPDATE jobs SET request = '{not json', history = '[', state = 'bogus' WHERE id = ?", (first.id,))
    db.commit()
    db.close()
    with JobStore(path) as store:
        assert store.recovery is None
        damaged = store.get(first.id)
        assert damaged.task_id == "task-0" and damaged.state is JobState.SUBMITTED and damaged.request == {}
        assert store.get(second.id).request == second.request


def test_unknown_extra_job_fields_survive(store: JobStore) -> None:
    """Fields not stored in a column go to ``extra``: simulate by hiding a column name."""
    store._columns.remove("attempt_of")  # as if attempt_of had been added after schema v2
    job = store.add(_job(attempt_of="previous"))
    assert store.get(job.id).attempt_of == "previous"


def test_ten_thousand_jobs_page_quickly(store: JobStore) -> None:
    store.add_many(_job(position=float(i), state=S.DONE if i % 3 else S.QUEUED) for i in range(10_000))
    start = time.perf_counter()
    assert store.count() == 10_000
    page = store.list(limit=50, offset=9_000)
    counts = store.count_by_state()
    unfinished_page = store.list(states=[S.QUEUED], limit=100)
    elapsed = time.perf_counter() - start
    assert [j.position for j in page] == [float(i) for i in range(9_000, 9_050)]
    assert counts == {S.QUEUED: 3334, S.DONE: 6666}
    assert len(unfinished_page) == 100
    assert elapsed < 1.0, elapsed


_CHILD = r"""
import sys, time
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.store import JobStore
store = JobStore(sys.argv[1])
for i in range(5):
    job = store.add(Job(id=f"job{i}", position=float(i)))
    store.transition(job.id, JobState.SUBMITTING, "about to POST")
    print(job.id, flush=True)
print("ready", flush=True)
while True:
    store.update("job0", error=None)
"""


@pytest.mark.timeout(30)
def test_reopen_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == "ready":
                break
        time.sleep(0.2)  # let it be mid-write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    assert lines[-1] == "ready"
    s = JobStore(path)
    try:
        # Every transition announced before the kill is on disk.
        assert {j.id: j.state for j in s.unfinished()} == {f"job{i}": S.SUBMITTING for i in range(5)}
        s.transition("job0", S.OUTCOME_UNKNOWN, "restarted while submitting")
    finally:
        s.close()


def test_threads_share_one_store_safely(store: JobStore) -> None:
    import threading

    jobs = [store.add(_job(request={"prompt": "p", "file": Path("/x/y.mp4")})) for _ in range(8)]
    assert store.get(jobs[0].id).request["file"] == "/x/y.mp4"  # a Path is stored as text
    errors: list[BaseException] = []

    def walk(job_id: str) -> None:
        try:
            for state in (S.UPLOADING, S.SUBMITTING, S.SUBMITTED, S.PROCESSING, S.DOWNLOADING, S.DONE):
                store.transition(job_id, state, "step")
                store.get(job_id)
                store.list(limit=3)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=walk, args=(j.id,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert store.count_by_state() == {S.DONE: 8}
    assert all(len(store.get(j.id).history) == 7 for j in jobs)


def test_read_only_open_reads_and_never_writes(tmp_path: Path) -> None:
    """The window's first-page preview: reads the jobs, changes nothing, creates nothing."""
    path = tmp_path / "jobs.sqlite3"
    with JobStore(path) as writer:
        job = writer.add(_job())
    before = path.read_bytes()
    reader = JobStore(path, read_only=True)
    try:
        assert [j.id for j in reader.list(limit=10)] == [job.id] and reader.count() == 1
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.add(_job())
    finally:
        reader.close()
    assert path.read_bytes() == before  # (SQLite may leave an empty -wal and an -shm beside it)
    wal = tmp_path / "jobs.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    with pytest.raises(sqlite3.DatabaseError):
        JobStore(tmp_path / "missing.sqlite3", read_only=True)
    assert not (tmp_path / "missing.sqlite3").exists()
