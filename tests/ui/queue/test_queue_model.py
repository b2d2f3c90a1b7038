"""The queue model: Qt's model contract, lazy paging, per-row updates, filtering, reorder."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.ui.queue.queue_model import (
    COL_COST,
    COL_PARAMS,
    COL_PROMPT,
    COL_STATE,
    MIME_TYPE,
    JobRole,
    ProgressRole,
    QueueModel,
)
from seedance_desktop.ui.queue.queue_panel import JobFilterProxy

# The offscreen platform plugin warns that it cannot propagate size hints; harmless.
# Applied per test: tests/ui/conftest.py adds an item-level qt_log_ignore that would shadow
# a module-level one (pytest-qt reads only the closest marker).
QT_NOISE = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


class FakeSource:
    """A list-backed stand-in for JobStore that counts how much was read."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.reads = 0

    def list(self, states: Any = None, limit: int | None = None, offset: int = 0) -> list[Job]:
        end = None if limit is None else offset + limit
        page = self.jobs[offset:end]
        self.reads += len(page)
        return [replace(job) for job in page]

    def count(self) -> int:
        return len(self.jobs)

    def get(self, job_id: str) -> Job | None:
        return next((replace(j) for j in self.jobs if j.id == job_id), None)


def make_job(i: int, state: JobState = JobState.QUEUED, **kw: Any) -> Job:
    request = {"prompt": f"a cat number {i}", "duration": 5, "ratio": "16:9", "resolution": "480p", "seed": i}
    return Job(id=f"job{i:05d}", request=request, state=state, position=float(i), **kw)


def mixed_jobs() -> list[Job]:
    now = time.time()
    return [
        make_job(0),
        make_job(1, JobState.UPLOADING, progress=0.4),
        make_job(2, JobState.PROCESSING, submitted_at=now - 42),
        make_job(3, JobState.DOWNLOADING, progress=0.75, submitted_at=now - 80),
        make_job(4, JobState.DONE, cost=0.35, submitted_at=now - 100, finished_at=now - 10),
        make_job(5, JobState.FAILED, error="Modellix said no"),
        make_job(6, JobState.OUTCOME_UNKNOWN),
        make_job(7),
    ]


@QT_NOISE
def test_model_contract_with_jobs_in_several_states(qtmodeltester: Any) -> None:
    model = QueueModel(FakeSource(mixed_jobs()), move=lambda job_id, pos: None, page_size=3)
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    qtmodeltester.check(model, force_py=True)
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(COL_STATE)
    qtmodeltester.check(proxy, force_py=True)


@QT_NOISE
def test_display_values() -> None:
    model = QueueModel(FakeSource(mixed_jobs()))
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 8
    assert model.data(model.index(0, COL_PARAMS)) == "5 s · 16:9 · 480p · seed 0"
    assert model.data(model.index(4, COL_COST)) == "$0.35"
    assert model.data(model.index(0, COL_COST)) == "est. $0.345"  # estimate: 5 s at 0.069/s, labelled
    assert model.data(model.index(5, COL_COST)) == "not billed"  # failed before it was sent: no charge shown
    assert model.data(model.index(6, COL_COST)) == "unknown"  # may have reached Modellix: no "~$" either
    assert model.data(model.index(2, COL_STATE)).startswith("Processing 0:4")
    assert model.data(model.index(2, COL_STATE)).endswith(" · usually 0:30–2:00")  # against the usual time
    model.set_mode(demo=True)
    assert {model.data(model.index(row, COL_COST)) for row in range(8)} == {"nothing (demo)"}
    assert model.data(model.index(3, COL_STATE)).startswith("Downloading 75% · 1:2")
    assert model.data(model.index(4, COL_STATE)) == "Done · 1:30"
    assert model.data(model.index(1, COL_STATE), ProgressRole) == pytest.approx(0.4)
    assert model.data(model.index(5, COL_STATE), Qt.ItemDataRole.ToolTipRole) == "Modellix said no"
    assert model.data(model.index(2, 0), JobRole).id == "job00002"


@QT_NOISE
def test_ten_thousand_jobs_load_lazily() -> None:
    source = FakeSource([make_job(i) for i in range(10_000)])
    started = time.perf_counter()
    model = QueueModel(source, page_size=200)
    assert model.rowCount() == 0 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    assert source.reads == 200  # only one page was read, not the whole store
    assert time.perf_counter() - started < 5.0  # generous: a busy machine; the page count is the point
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 10_000
    assert model.data(model.index(9_999, 0), JobRole).id == "job09999"


@QT_NOISE
def test_view_fetches_pages_as_it_scrolls(qtbot: Any) -> None:
    from PySide6.QtWidgets import QTableView

    source = FakeSource([make_job(i) for i in range(10_000)])
    model = QueueModel(source, page_size=100)
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.setModel(model)
    view.show()
    qtbot.waitUntil(lambda: model.rowCount() >= 100)
    assert model.rowCount() < 1_000
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() >= 200)


@QT_NOISE
def test_job_changed_emits_data_changed_for_that_row_only(qtbot: Any) -> None:
    source = FakeSource(mixed_jobs())
    model = QueueModel(source)
    model.fetchMore(QModelIndex())
    source.jobs[2] = replace(source.jobs[2], state=JobState.DOWNLOADING, progress=0.5)
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.job_changed("job00002")
    top, bottom = blocker.args[0], blocker.args[1]
    assert top.row() == bottom.row() == 2
    assert model.data(model.index(2, COL_STATE), ProgressRole) == 0.5
    model.job_changed("nope")  # unknown ids are ignored


@QT_NOISE
def test_job_added_and_removed() -> None:
    source = FakeSource(mixed_jobs())
    model = QueueModel(source)
    model.fetchMore(QModelIndex())
    source.jobs.append(make_job(99))
    model.job_added("job00099")
    assert model.rowCount() == 9 and model.row_of("job00099") == 8
    del source.jobs[0]
    model.job_removed("job00000")
    assert model.rowCount() == 8 and model.row_of("job00099") == 7


@QT_NOISE
def test_filter_by_state_and_sort() -> None:
    model = QueueModel(FakeSource(mixed_jobs()))
    model.fetchMore(QModelIndex())
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_states({JobState.QUEUED})
    assert [getattr(proxy.job_at(r), "id", None) for r in range(proxy.rowCount())] == ["job00000", "job00007"]
    proxy.set_states(None)
    assert proxy.rowCount() == 8
    proxy.sort(COL_COST, Qt.SortOrder.DescendingOrder)
    top = proxy.job_at(0)
    assert top is not None and top.id == "job00004"


@QT_NOISE
def test_drag_only_queued_and_drop_moves_through_callback() -> None:
    moves: list[tuple[str, int]] = []
    model = QueueModel(FakeSource(mixed_jobs()), move=lambda job_id, pos: moves.append((job_id, pos)))
    model.fetchMore(QModelIndex())
    assert model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsDragEnabled
    assert not model.flags(model.index(4, 1)) & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData([model.index(7, 1), model.index(7, 2)])
    assert bytes(mime.data(MIME_TYPE).data()) == b"job00007"
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert moves == [("job00007", 0)]
    model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())
    assert moves[-1] == ("job00007", 1)  # end of the queue: after the one *other* queued job


# -- the panel (view + delegate + actions) -------------------------------------------------------

@QT_NOISE
def test_panel_actions_follow_selected_state_and_emit_ids(qtbot: Any) -> None:
    from seedance_desktop.ui.queue.queue_panel import QueuePanel

    model = QueueModel(FakeSource(mixed_jobs()), move=lambda job_id, pos: None)
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    qtbot.waitUntil(lambda: model.rowCount() == 8)
    assert panel.select_job("job00005")  # failed
    acts = panel.job_actions
    assert acts["retry"].isEnabled() and not acts["submit_again"].isEnabled()
    assert not acts["cancel"].isEnabled() and acts["remove"].isEnabled()
    with qtbot.waitSignal(panel.retry_requested) as blocker:
        acts["retry"].trigger()
    assert blocker.args == ["job00005"]
    panel.select_job("job00006")  # outcome unknown
    assert acts["submit_again"].isEnabled() and not acts["retry"].isEnabled()
    panel.select_job("job00000")  # queued
    assert acts["cancel"].isEnabled() and not acts["play"].isEnabled()
    with qtbot.waitSignal(panel.remove_requested) as blocker:
        qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert blocker.args == ["job00000"]
    with qtbot.waitSignal(panel.pause_requested) as blocker:
        panel.pause_button.click()
    assert blocker.args == [True]
    panel.set_paused(True)
    assert panel.pause_button.text() == "Resume queue"
    menu = panel.build_context_menu()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert "Submit again…" in texts and "Re-run with new seed" in texts and "Resume queue" in texts


@QT_NOISE
def test_panel_filter_and_delegate_paint(qtbot: Any) -> None:
    from seedance_desktop.ui.queue.queue_panel import QueuePanel

    model = QueueModel(FakeSource(mixed_jobs()))
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    qtbot.waitUntil(lambda: model.rowCount() == 8)
    panel.filter.setCurrentIndex(3)  # Done
    assert panel.proxy.rowCount() == 1
    panel.filter.setCurrentIndex(0)
    image = panel.view.viewport().grab().toImage()  # paints delegate progress bars
    assert not image.isNull()


@QT_NOISE
@pytest.mark.timeout(30)
def test_thumbnails_are_made_in_a_worker_for_visible_rows(qtbot: Any, clip: Any) -> None:
    from seedance_desktop.core.job import InputFile
    from seedance_desktop.ui.queue.queue_panel import QueuePanel

    jobs = [make_job(0, inputs=[InputFile("video_urls", 0, str(clip))]), make_job(1)]
    model = QueueModel(FakeSource(jobs))
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    wanted: list[tuple[str, str]] = []
    model.thumbnail_wanted.connect(lambda job_id, path: wanted.append((job_id, path)))
    panel.show()
    qtbot.waitUntil(lambda: model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole) is not None, timeout=10_000)
    pixmap = model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole)
    assert pixmap.width() <= 64 and pixmap.height() > 0
    assert wanted == [("job00000", str(clip))]  # asked once; the job without inputs has none
    assert panel.thumbnails.wait()

    # The window switches from the start-up preview to the runtime's store (a restart): the
    # same job's row gets its picture again instead of staying blank.
    model.set_source(FakeSource(jobs))
    qtbot.waitUntil(lambda: model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole) is not None, timeout=10_000)
    assert wanted == [("job00000", str(clip))] * 2
    assert panel.thumbnails.wait()


def test_tick_refreshes_running_rows_in_one_signal(qtbot: Any) -> None:
    model = QueueModel(FakeSource(mixed_jobs()))
    model.fetchMore(QModelIndex())
    spans: list[tuple[int, int, int]] = []
    model.dataChanged.connect(lambda top, bottom, roles: spans.append((top.row(), bottom.row(), top.column())))
    model.tick()
    assert spans == [(1, 3, COL_STATE)]  # uploading .. downloading; queued and final rows excluded


@QT_NOISE
def test_the_panels_second_tick_repaints_only_the_state_cells(qtbot: Any) -> None:
    """Elapsed times in view move every second; the rest of the table is not repainted for it
    (with 100 jobs running that repaint was most of the panel's idle cost)."""
    from seedance_desktop.ui.queue.queue_panel import ProgressDelegate, QueuePanel

    painted: dict[int, int] = {}

    class Counting(ProgressDelegate):
        def paint(self, painter: Any, option: Any, index: Any) -> None:
            painted[index.column()] = painted.get(index.column(), 0) + 1
            super().paint(painter, option, index)

    model = QueueModel(FakeSource(mixed_jobs()))
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    panel.view.setItemDelegate(Counting(panel.view))
    panel.resize(1000, 500)
    panel.show()
    qtbot.waitUntil(lambda: painted.get(COL_PROMPT, 0) > 0)
    painted.clear()
    panel._tick()  # what the panel's 1 s timer calls
    qtbot.waitUntil(lambda: painted.get(COL_STATE, 0) >= 8)
    assert set(painted) == {COL_STATE}


@QT_NOISE
def test_actions_follow_the_selected_job_when_it_changes_state(qtbot: Any, tmp_path: Any) -> None:
    from seedance_desktop.ui.queue.queue_panel import QueuePanel

    source = FakeSource(mixed_jobs())
    model = QueueModel(source)
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: model.rowCount() == 8)
    panel.select_job("job00000")  # row 0, queued
    assert panel.job_actions["cancel"].isEnabled() and not panel.job_actions["play"].isEnabled()
    video = tmp_path / "result.mp4"
    video.write_bytes(b"\0" * 16)
    source.jobs[0] = replace(source.jobs[0], state=JobState.DONE, video_path=str(video))
    model.job_changed("job00000")
    assert panel.job_actions["play"].isEnabled() and not panel.job_actions["cancel"].isEnabled()


@pytest.mark.timeout(60)
def test_ten_thousand_jobs_from_a_real_store_open_instantly(tmp_path: Any) -> None:
    from seedance_desktop.core.store import JobStore

    store = JobStore(tmp_path / "jobs.sqlite3")
    states = [JobState.DONE, JobState.FAILED, JobState.QUEUED, JobState.OUTCOME_UNKNOWN]
    store.add_many(make_job(i, states[i % 4]) for i in range(10_000))
    try:
        started = time.perf_counter()
        model = QueueModel(store)
        model.fetchMore(QModelIndex())
        opened = time.perf_counter() - started
        assert model.total == 10_000 and model.rowCount() == 200
        # Generous for a busy machine; reading one page (rowCount 200, not 10,000) is the point.
        assert opened < 5.0, f"opening took {opened:.3f} s"
        assert model.data(model.index(199, 0), JobRole).id == "job00199"  # store (queue) order
        model.job_changed("job00005")  # the store's own lookup (get raises KeyError when gone)
        model.job_changed("missing")
    finally:
        store.close()


def test_drop_through_the_filter_proxy_reaches_the_model() -> None:
    moves: list[tuple[str, int]] = []
    model = QueueModel(FakeSource(mixed_jobs()), move=lambda job_id, pos: moves.append((job_id, pos)))
    model.fetchMore(QModelIndex())
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_states({JobState.QUEUED})  # the view shows job0 and job7 only
    mime = proxy.mimeData([proxy.index(1, 1)])
    assert proxy.canDropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    proxy.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert moves == [("job00007", 0)]


@QT_NOISE
def test_time_left_for_a_transfer_and_a_failure_brought_to_attention() -> None:
    now = [1000.0]
    jobs = [make_job(0, JobState.UPLOADING, progress=0.1), make_job(1, JobState.PROCESSING, submitted_at=990.0)]
    source = FakeSource(jobs)
    model = QueueModel(source, clock=lambda: now[0])
    model.fetchMore(QModelIndex())
    model.job_changed("job00000")  # first sight of its progress: no estimate yet
    first = model.data(model.index(0, COL_STATE))
    assert first.startswith("Uploading 10%") and "left" not in first
    now[0] += 10.0
    source.jobs[0] = replace(jobs[0], progress=0.5)  # 40 % in 10 s: 50 % takes about 12 s more
    model.job_changed("job00000")
    assert model.data(model.index(0, COL_STATE)) == "Uploading 50% · 0:12 left"
    attention: list[str] = []
    model.needs_attention.connect(attention.append)
    source.jobs[1] = replace(jobs[1], state=JobState.FAILED, error="no")
    model.job_changed("job00001")
    model.job_changed("job00001")  # once per failure, not per update
    assert attention == ["job00001"]


def test_long_codes_and_paths_get_break_opportunities_and_nothing_else_changes() -> None:
    from seedance_desktop.ui.queue.row_text import ZERO_WIDTH_SPACE, breakable

    code = "InputVideoSensitiveContentDetected.PrivacyInformation: the input video"
    assert breakable(code) == code.replace(".", "." + ZERO_WIDTH_SPACE)
    path = "/home/someone/Videos/Seedance/2026-12-07_1732_3f9c2a7b.mp4"
    assert ZERO_WIDTH_SPACE in breakable(path) and breakable(path).replace(ZERO_WIDTH_SPACE, "") == path
    assert all(len(piece) <= 40 for piece in breakable("x" * 100).split(ZERO_WIDTH_SPACE))
    for text in ("short words stay as they are", "e5ae82519a034ae297ce913f21e8e074"[:24], ""):
        assert breakable(text) == text
