"""Issue 8 item 14 from the command line: with a damaged job database ``list`` says what
happened and where the damaged file is, and still lists the jobs it recovered (a paid task is
not silently dropped from the queue)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedance_desktop import cli
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.store import JobStore


@pytest.mark.timeout(60)
def test_list_on_a_damaged_database_warns_and_lists_what_was_recovered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_env(home).ensure()
    with JobStore(paths.db_file) as store:
        for n in range(40):
            job = store.add(Job(request={"prompt": f"paid job {n} " + "x" * 500, "seed": n}))
            store.transition(job.id, JobState.SUBMITTING)
            store.transition(job.id, JobState.SUBMITTED, task_id=f"task-{n}")
    for companion in (Path(str(paths.db_file) + "-wal"), Path(str(paths.db_file) + "-shm")):
        companion.unlink(missing_ok=True)
    size = paths.db_file.stat().st_size
    with open(paths.db_file, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(4096))

    code = cli.main(["--home", str(home), "list", "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "job database was damaged" in err and ".damaged-" in err
    assert out.count('"task_id": "task-') >= 20  # the readable paid jobs are still listed
