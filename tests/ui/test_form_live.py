"""Issue 9, the form in the real window in live mode (a key and a base URL pointing at a
simulator started here; no demo banner): no red messages while the window loads, the form fits
at 1366x768 and the window at 1024x700, a dropped clip reaches the simulator byte for byte, an
identical recipe is confirmed before it is paid for again, Duplicate into form can be undone,
and the folder of the last file dialog is remembered in the settings."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prepare_live import record_uploads  # noqa: E402

from seedance_desktop.core.job import JobState  # noqa: E402
from seedance_desktop.core.paths import AppPaths  # noqa: E402
from tests.ui.live_app import QT_NOISE, live_runtime_builder


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def red_messages(form: Any) -> list[str]:
    """Every error message the form shows right now."""
    found = [form.status.text()] if form.status.kind == "error" and form.status.text() else []
    if form.prompt is not None and form.prompt.error_text():
        found.append(form.prompt.error_text())
    found += [lst.error_text() for lst in form.media.values() if lst.error_text()]
    found += [e.error_text() for e in form.editors.values() if e.error_text()]
    return found


def in_view(form: Any, widget: QWidget) -> bool:
    """``widget`` lies wholly inside the form's visible scroll viewport (no scrolling needed)."""
    viewport = form.scroll_area.viewport()
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return viewport.rect().contains(QRect(top_left, widget.size()))


def drop_files(widget: QWidget, paths: list[Path]) -> Qt.DropAction:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.MoveAction | Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, QDragEnterEvent(QPoint(10, 10), *args))
    drop = QDropEvent(QPointF(10, 10), *args)
    QApplication.sendEvent(widget, drop)
    return drop.dropAction()


@QT_NOISE
@pytest.mark.timeout(120)
def test_the_form_in_the_live_window(qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, clip: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.ui import app as appmod

    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    received = record_uploads(simulator, tmp_path / "received")
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    calls: list[dict[str, Any]] = []

    builder = live_runtime_builder(simulator.base_url, tmp_path / "out", calls)

    picked = tmp_path / "picked"
    picked.mkdir()
    other_clip = picked / "other.mp4"
    other_clip.write_bytes(clip.read_bytes())
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *args: ([str(other_clip)], "")))
    qapp.setQuitOnLastWindowClosed(False)
    shell = appmod.Shell(paths)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=shell)
    qtbot.addWidget(desktop.window)
    form, window = desktop.form, desktop.window
    result: dict[str, Any] = {"red while loading": [], "status while loading": set()}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        while not desktop.ready.is_set():  # the first seconds after launch
            result["red while loading"] += red_messages(form)
            result["status while loading"].add(form.status.text())
            await asyncio.sleep(0.01)
        result["banner"] = window.banner.isVisible()
        result["red once loaded"] = red_messages(form)
        result["status once loaded"] = (form.status.text(), form.status.kind)

        # Layout: the window goes down to 1024x700; at 1366x768 what a request needs is in view.
        hint = window.minimumSizeHint()
        result["minimum"] = (hint.width(), hint.height())
        window.resize(1366, 740)  # 768 less a panel or title bar
        await until(lambda: window.width() == 1366, 5, "the resize")
        # Let the loop lay the form out (never processEvents() inside a coroutine: re-entering
        # the Qt loop under qasync can lose its timers, and a test then waits forever).
        await asyncio.sleep(0.1)

        # A clip dropped from a file manager (offered as move or copy) is copied into the form.
        result["drop action"] = drop_files(form, [clip])
        form.prompt.set_text("[Video 1] as a watercolour")
        seed = form.editors["seed"]
        seed.set_value(42)
        form.editors["resolution"].set_value("480p")
        form.editors["duration"].set_value(4)
        await until(form.submit_button.isEnabled, 20, "Submit to be enabled")
        videos = form.media["video_urls"]
        result["in view"] = {name: in_view(form, w) for name, w in {
            "videos": videos.list, "duration": form.editors["duration"].spin,
            "ratio": form.editors["ratio"].combo, "resolution": form.editors["resolution"].combo,
            "seed": seed.edit}.items()}
        result["submit text"] = form.submit_button.text()
        form.submit_button.click()
        store = desktop.runtime.store
        await until(lambda: len(store.list()) == 1, 10, "the job to be queued")
        first = store.list()[0]
        await until(lambda: store.get(first.id).state is JobState.DONE, 60, "the job to finish")

        # The same recipe again: Submit asks first (it would pay for the same video again).
        await until(form.submit_button.isEnabled, 10, "Submit to be enabled again")
        form.submit_button.click()
        await until(lambda: bool(form.repeat_warning.text()), 10, "the repeat warning")
        result["repeat"] = (form.repeat_warning.text(), form.submit_button.text(), len(store.list()))
        form.submit_button.click()
        await until(lambda: len(store.list()) == 2, 10, "the confirmed repeat")

        # Duplicate into form replaces what was typed; Undo puts it back.
        form.prompt.set_text("something new I was writing")
        desktop.controller.duplicate(first.id)
        result["after duplicate"] = (form.prompt.text(), form.undo_bar.isVisible(), form.undo_bar.text())
        form.undo_bar.button.click()
        result["after undo"] = form.prompt.text()

        # "Add file" opens where the last dialog picked from, and the folder is kept.
        window.add_file_action.trigger()
        result["recent"] = desktop.settings.recent_folder
        for job in store.list():
            await until(lambda j=job: store.get(j.id).state.is_final, 60, "every job to end")
        window.close()
        result["exit"] = await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert calls and calls[0]["demo"] is False and calls[0]["api_key"] == simulator.api_key
    assert result["banner"] is False and result["exit"] == 0
    assert result["red while loading"] == [], result["red while loading"]
    assert "Loading…" in result["status while loading"]
    assert result["red once loaded"] == []  # an empty form nobody touched: what is next, not an error
    assert result["status once loaded"] == ("Write a prompt (1 to 2000 characters)", "info")
    assert result["minimum"][0] <= 1024 and result["minimum"][1] <= 700, result["minimum"]
    assert all(result["in view"].values()), result["in view"]
    assert result["drop action"] == Qt.DropAction.CopyAction
    assert clip.is_file()  # a copy: the original stays
    assert result["submit text"] == "&Submit · ≈ $0.276 (estimate)"
    warning, text, count = result["repeat"]
    assert "seed 42 was already made" in warning and text.startswith("&Submit anyway · ≈ $0.276") and count == 1
    prompt, undo_shown, undo_text = result["after duplicate"]
    assert prompt == "[Video 1] as a watercolour" and undo_shown and "Undo" in undo_text
    assert result["after undo"] == "something new I was writing"
    # The dropped clip, followed to the bytes the simulator received.
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    assert received and hashlib.sha256(received[0].read_bytes()).hexdigest() == digest
    assert result["recent"] == str(picked)
    assert json.loads(paths.settings_file.read_text())["recent_folder"] == str(picked)
