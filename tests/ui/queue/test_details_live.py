"""The queue side in the real window, in live mode (a key and a base URL pointing at a simulator
started here; no demo banner): a job that fails on the server is brought into view, selected and
explained in the details pane with what to do; its cost is not shown as a charge; Remove then
Undo (Ctrl+Z) puts the same job back; "Show details" is offered only while the Details tab is
not already showing the job; a finished job's output path is shown and copyable, and
revealing it where no file manager opens says so with the path; without a tray, a finished job
is announced in the window."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from seedance_desktop.core.job import InputFile, JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.simulator.faults import Fault, FaultKind
from tests.ui.live_app import QT_NOISE, until

MODEL = "bytedance/seedance-2.0-fast-v2v"
# A long error code without a space, as Modellix sends them: it must wrap, not widen the pane.
REASON = "OutputVideoSensitiveContentDetected.PrivacyInformation: the output may contain sensitive content"


@QT_NOISE
@pytest.mark.timeout(120)
def test_failure_details_undo_remove_cost_and_reveal_in_live_mode(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_desktop.runtime import compose as composition
    from seedance_desktop.ui import app as appmod
    from seedance_desktop.ui.queue.queue_model import COL_COST

    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    paths = AppPaths.from_env(tmp_path / "home").ensure()

    async def builder(paths: Any, settings: Any, **kw: Any) -> Any:
        assert kw["demo"] is False and kw["api_key"] == simulator.api_key  # live mode
        return await composition.build_runtime(paths, settings, api_key=kw["api_key"], demo=False,
                                               base_url=simulator.base_url, start_engine=False,
                                               output_dir=tmp_path / "out", time_scale=60.0)

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=appmod.Shell(paths))
    qtbot.addWidget(desktop.window)
    seen: dict[str, Any] = {}
    request = {"prompt": "a paper boat on [Video 1]", "duration": 4, "resolution": "480p", "video_urls": [None]}
    inputs = [InputFile("video_urls", 0, str(clip))]

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        window, panel, model = desktop.window, desktop.panel, desktop.model
        details, tabs = panel.details, window.job_tabs
        seen["banner"] = window.banner.isVisible()
        window.activateWindow()
        await until(window.isActiveWindow, 5, "the window to be active")
        store = desktop.runtime.store

        # 1. A job that succeeds: its cost is what was billed; without a tray it is announced here.
        desktop.controller.submit(MODEL, request, inputs)
        await until(lambda: any(j.state is JobState.DONE for j in store.list()), 60, "the first job to finish")
        done = store.list()[0]
        await until(lambda: "Video ready" in panel.notices.text, 5, "the in-window notice")
        seen["done_cost"] = model.data(model.index(model.row_of(done.id), COL_COST))

        # 2. Reveal where no file manager opens: the path is said, and can be copied.
        opened: list[str] = []
        panel.open_url = lambda url: opened.append(url.toLocalFile()) or False
        assert panel.select_job(done.id)
        seen["output_field"] = details.fields["output"].label.text()
        details.reveal_button.click()
        seen["reveal_notice"] = panel.notices.text
        seen["opened"] = opened
        copy = panel.notices.button("Copy path")
        assert copy is not None
        copy.click()
        seen["clipboard"] = QGuiApplication.clipboard().text()
        details.fields["output"].copy.click()
        seen["output_copied"] = QGuiApplication.clipboard().text()

        # 3. A job that fails on the server, with another row selected and the focus in the form.
        panel.view.clearSelection()
        seen["tab_before"] = tabs.currentWidget() is window.player
        simulator.simulator.inject(Fault("submit", FaultKind.FAIL_TASK, message=REASON))
        desktop.form.prompt.edit.setFocus()
        await until(lambda: QApplication.focusWidget() is desktop.form.prompt.edit, 5, "the prompt to have focus")
        focus_before = QApplication.focusWidget()
        desktop.controller.submit(MODEL, request, inputs)
        await until(lambda: any(j.state is JobState.FAILED for j in store.list()), 60, "the second job to fail")
        failed = next(j for j in store.list() if j.state is JobState.FAILED)
        await until(lambda: panel.selected_job() is not None, 5, "the failed job to be selected")
        seen["selected"] = panel.selected_job().id == failed.id
        seen["tab"] = tabs.currentWidget() is details
        seen["reason"] = details.reason.text()
        seen["advice"] = details.advice.text()
        seen["next_button"] = (details.next_button.isVisible(), details.next_button.text())
        seen["task_id"] = details.fields["task_id"].label.text() == failed.task_id
        seen["failed_output"] = details.fields["output"].label.text()
        seen["history"] = details.history.text()
        seen["notice"] = panel.notices.text
        seen["flash"] = model.data(model.index(model.row_of(failed.id), 0), Qt.ItemDataRole.BackgroundRole)
        seen["failed_cost"] = model.data(model.index(model.row_of(failed.id), COL_COST))
        seen["focus_kept"] = QApplication.focusWidget() is focus_before
        # The Details tab already shows this job: no "Show details" that would do nothing.
        show = panel.notices.button("Show details")
        seen["show_details_redundant"] = (show is not None and show.isHidden(), panel.job_actions["details"].isEnabled())
        tabs.show_player()
        seen["show_details_useful"] = (show is not None and not show.isHidden(), panel.job_actions["details"].isEnabled())
        tabs.show_details()

        # At 1024x700: the Details tab wraps (no sideways scrolling), and the queue's Prompt
        # column is the widest text column while State still shows its text.
        window.resize(1024, 700)
        await until(lambda: window.width() == 1024, 5, "the resize")
        await asyncio.sleep(0.3)
        view = panel.view
        seen["narrow details"] = (details.widget().minimumSizeHint().width(), details.viewport().width(),
                                  details.horizontalScrollBar().isVisible())
        seen["narrow columns"] = {name: view.columnWidth(col) for name, col in
                                  (("prompt", 1), ("state", 3), ("cost", 4))}
        state_index = view.model().index(view.model().rowCount() - 1, 3)
        seen["state text fits"] = (view.fontMetrics().horizontalAdvance(str(state_index.data())) + 8,
                                   view.columnWidth(3))
        seen["table fits"] = view.horizontalScrollBar().maximum()

        # 4. Remove, then Undo with Ctrl+Z in the queue: the same job is back where it was (a
        #    later job below it), selected again; no file deleted.
        desktop.controller.submit(MODEL, request, inputs)
        await until(lambda: model.rowCount() == 3, 5, "a third row")
        panel.view.setFocus()
        panel.job_actions["remove"].trigger()
        await until(lambda: model.row_of(failed.id) is None, 5, "the row to go")
        seen["removed_notice"] = panel.notices.text
        seen["undo_enabled"] = panel.undo_action.isEnabled()
        QTest.keyClick(panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: model.row_of(failed.id) is not None, 5, "the row to come back")
        back = store.get(failed.id)
        seen["back_in_place"] = (model.row_of(failed.id), panel.selected_job().id) == (1, failed.id)
        seen["notice_answered"] = panel.notices.text == ""
        seen["restored"] = (back.state, back.task_id, back.error, len(back.history)) == (
            failed.state, failed.task_id, failed.error, len(failed.history))
        seen["undo_after"] = panel.undo_action.isEnabled()
        seen["video_kept"] = Path(done.video_path).is_file()

        # 5. Ctrl+I in the queue shows the selected job's details.
        tabs.show_player()
        panel.view.setFocus()
        QTest.keyClick(panel.view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
        seen["ctrl_i"] = tabs.currentWidget() is details
        window.quit_now()  # ends the session: no quit prompt about jobs in flight
        seen["exit"] = await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert seen["banner"] is False and seen["exit"] == 0
    assert seen["done_cost"] == "$0.276"  # billed by the simulator: 4 s at 480p, to the tenth of a cent
    assert seen["output_field"].replace("\u200b", "").startswith(str(tmp_path / "out"))
    assert seen["opened"] and "No file manager could be opened" in seen["reveal_notice"]
    assert seen["clipboard"] == seen["output_copied"] and seen["clipboard"].endswith(".mp4")
    assert seen["clipboard"] in seen["reveal_notice"]
    assert seen["ctrl_i"]
    assert seen["selected"] and seen["tab_before"] and seen["tab"]
    assert REASON in seen["reason"].replace("\u200b", "") and "Retry" in seen["advice"]
    assert seen["next_button"] == (True, "Retry")
    assert seen["task_id"] and "Failed" in seen["history"] and "Queued" in seen["history"]
    assert REASON in seen["notice"]
    assert seen["show_details_redundant"] == (True, False)  # hidden and disabled while the tab shows it
    assert seen["show_details_useful"] == (True, True)      # back once the player is in front
    minimum, viewport, scroll_bar = seen["narrow details"]
    assert minimum <= viewport and not scroll_bar, seen["narrow details"]
    columns = seen["narrow columns"]
    assert columns["prompt"] >= 240 and columns["prompt"] > columns["state"] >= 110, columns
    needed, width = seen["state text fits"]
    assert needed <= width, seen["state text fits"]
    assert seen["table fits"] == 0  # no sideways scrolling in the table either
    assert seen["flash"] is not None
    assert seen["failed_cost"] == "none reported"  # never "~$0.276" on a failure
    assert "no video was downloaded" in seen["failed_output"]  # no promise of a path to come
    assert seen["focus_kept"]
    assert "was removed from the list" in seen["removed_notice"] and "No file was deleted" in seen["removed_notice"]
    assert seen["undo_enabled"] and seen["restored"] and not seen["undo_after"]
    assert seen["back_in_place"] and seen["notice_answered"]  # where it was, selected again
    assert seen["video_kept"]
