"""The window's first-page preview (read in a worker before the runtime exists) never touches
a damaged job database: recovering it, keeping the damaged file and saying where, is the
runtime's job. A preview that opened it first would recover it silently, and the window would
never tell the user."""

from __future__ import annotations

from pathlib import Path

from seedance_desktop.core.job import Job
from seedance_desktop.core.store import JobStore


def test_preview_leaves_a_damaged_database_to_the_runtime(tmp_path: Path) -> None:
    from seedance_desktop.ui.app import StorePreview

    db = tmp_path / "jobs.sqlite3"
    garbage = b"this is not a database at all" * 100
    db.write_bytes(garbage)
    preview = StorePreview.read(db)
    assert preview.count() == 0 and preview.list() == []
    assert db.read_bytes() == garbage and list(tmp_path.iterdir()) == [db]  # untouched, nothing set aside
    with JobStore(db) as store:  # the runtime's open still finds the damage and reports it
        assert store.recovery is not None


def test_preview_reads_the_first_page_of_a_sound_database(tmp_path: Path) -> None:
    from seedance_desktop.ui.app import StorePreview

    db = tmp_path / "jobs.sqlite3"
    with JobStore(db) as store:
        store.add(Job(request={"prompt": "earlier", "seed": 1}))
    preview = StorePreview.read(db)
    assert preview.count() == 1 and preview.list()[0].prompt == "earlier"
