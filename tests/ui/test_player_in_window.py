"""The player inside the real window, in live mode (a key and a base URL pointing at the
simulator, no demo banner): F, Esc and double-click enter and leave full screen wherever
focus is; Space plays from the window yet types a space in the prompt."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtTest import QTest

from seedance_desktop.core.paths import AppPaths

QT_NOISE = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "No RHI backend", "pa_context_connect", "No audio device",
    "does not support raise", "does not support setParent", "does not support requestActivate",
    r"QBackingStore::flush\(\) called for",
)


@QT_NOISE
@pytest.mark.timeout(90)
def test_fullscreen_and_keys_in_the_live_window(qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any,
                                                media_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.runtime import compose as composition
    from seedance_desktop.ui import app as appmod

    paths = AppPaths.from_env(tmp_path / "home").ensure()
    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    modes: list[bool] = []

    async def builder(paths: Any, settings: Any, **kw: Any) -> Any:
        modes.append(kw["demo"])
        return await composition.build_runtime(paths, settings, **{**kw, "base_url": simulator.base_url},
                                               output_dir=tmp_path / "out")

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder)
    qtbot.addWidget(desktop.window)
    seen: dict[str, Any] = {}

    async def until(condition: Any, what: str) -> None:
        for _ in range(400):
            if condition():
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"timed out waiting for {what}")

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        assert desktop.form.prompt is not None
        window, player, prompt = desktop.window, desktop.player, desktop.form.prompt.edit
        window.activateWindow()
        seen["banner"] = window.banner.isVisible()
        player.play_file(media_files["video"], autoplay=False)
        await until(lambda: player.media.duration() > 0, "the clip to load")

        QTest.keyClick(desktop.panel, Qt.Key.Key_F)  # focus in the queue panel
        seen["f_enters"] = player.is_fullscreen and player.stage.window().isFullScreen()
        QTest.keyClick(player.stage.window(), Qt.Key.Key_Escape)
        seen["esc_leaves"] = not player.is_fullscreen and player.stage.window() is window
        QTest.mouseDClick(player.video, Qt.MouseButton.LeftButton)
        seen["dclick_enters"] = player.is_fullscreen
        QTest.mouseDClick(player.video, Qt.MouseButton.LeftButton)
        seen["dclick_leaves"] = not player.is_fullscreen

        prompt.setFocus()
        prompt.clear()
        QTest.keyClicks(prompt, "a fox f")
        seen["typed"] = prompt.toPlainText()
        seen["after_typing"] = (player.media.playbackState(), player.is_fullscreen)
        QTest.keyClick(window, Qt.Key.Key_Space)
        await until(lambda: player.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState, "playing")
        QTest.keyClick(window, Qt.Key.Key_Space)
        seen["paused"] = player.media.playbackState() == QMediaPlayer.PlaybackState.PausedState
        window.quit_now()  # ends the session: no quit prompt about jobs in flight
        await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()
    assert modes == [False] and seen["banner"] is False  # live mode
    assert seen["f_enters"] and seen["esc_leaves"] and seen["dclick_enters"] and seen["dclick_leaves"]
    assert seen["typed"] == "a fox f"
    assert seen["after_typing"] == (QMediaPlayer.PlaybackState.StoppedState, False)
    assert seen["paused"]
