"""Background media threads run at a lower CPU priority (Linux): the thread that asks, and the
threads it starts afterwards (FFmpeg's decoder threads), never the others."""

from __future__ import annotations

import sys
import threading

import pytest

from seedance_desktop.core.priority import BACKGROUND_NICENESS, lower_thread_priority, thread_niceness


@pytest.mark.timeout(30)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_only_the_lowered_thread_and_its_children_lose_priority() -> None:
    mine = thread_niceness()
    assert mine is not None
    seen: dict[str, object] = {}

    def child() -> None:
        seen["child"] = thread_niceness()

    def worker() -> None:
        seen["changed"] = lower_thread_priority()
        seen["worker"] = thread_niceness()
        seen["again"] = lower_thread_priority()   # already that low: nothing to do, no error
        started = threading.Thread(target=child)
        started.start()
        started.join()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["worker"] == max(mine, BACKGROUND_NICENESS) and seen["child"] == seen["worker"]
    assert seen["changed"] is (mine < BACKGROUND_NICENESS) and seen["again"] is False
    assert thread_niceness() == mine   # this thread (the GUI's, in the app) is untouched


def test_elsewhere_it_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert lower_thread_priority() is False and thread_niceness() is None
