"""Notifications: the tray when there is one and the window is elsewhere, else in the window."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from seedance_desktop.ui.notifications import NoticeBar, Notifier


class FakeTray:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title: str, message: str, *args: Any) -> None:  # noqa: N802 - Qt's name
        self.messages.append((title, message))


@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_without_a_tray_finished_jobs_are_announced_in_the_window(qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    bar = NoticeBar(window)
    shown: list[tuple[str, str, str]] = []
    notifier = Notifier(window, fallback=lambda t, m, k: (shown.append((t, m, k)), bar.show_notice(f"{t}: {m}")))
    notifier.tray = None  # no system tray (the offscreen platform has none either)
    assert notifier.notify("Video ready", "a fox") is True
    assert shown == [("Video ready", "a fox", "done")] and bar.text == "Video ready: a fox"
    # The queue panel shows failures itself: the caller asks for the tray only.
    assert notifier.notify("Job failed", "no", kind="error", in_window=False) is False and len(shown) == 1
    bar.dismiss()
    assert bar.text == ""


def test_with_a_tray_failures_reach_it_while_the_window_is_elsewhere(qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    tray = FakeTray()
    fallback: list[Any] = []
    notifier = Notifier(window, tray=tray, fallback=lambda *a: fallback.append(a))
    assert not window.isActiveWindow()
    assert notifier.notify("Job failed", "content rejected", kind="error", in_window=False) is True
    assert tray.messages == [("Job failed", "content rejected")] and fallback == []


def test_notice_actions_run_and_close_the_notice(qtbot: Any) -> None:
    bar = NoticeBar()
    qtbot.addWidget(bar)
    ran: list[str] = []
    bar.show_notice("Removed.", actions=[("Undo", lambda: ran.append("undo"))])
    button = bar.button("Undo")
    assert button is not None
    button.click()
    assert ran == ["undo"] and bar.text == ""
