"""The API key and signed links never reach a file the app writes, nor the diagnostics text.

A whole session of the window in live mode (a key, a base URL pointing at a simulator started
here): the sample clip is submitted, uploaded, generated, downloaded (from a signed result URL)
and the window closes. Logging runs at DEBUG, and an uncaught exception carrying the key and a
signed URL goes through the crash net, so the most talkative paths are covered. Then every file
under the app's folders and the output folder (logs, the job database with its WAL while it is
open, sidecars, settings) and the diagnostics text are searched for the key, a ``Bearer`` header
and the simulator's signed query strings, and none is found.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

import pytest
import qasync

from seedance_desktop.core.paths import AppPaths
from tests.ui.live_app import QT_NOISE, until, live_runtime_builder


def leaks(folders: list[Path], needles: list[bytes]) -> list[str]:
    """Every (file, needle) where a file under ``folders`` contains a needle."""
    found = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            found += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return found


@QT_NOISE
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_live_session_leaves_no_key_or_signed_link_in_files_or_diagnostics(
    qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_desktop.runtime.logs import close_logging, setup_logging
    from seedance_desktop.ui import app as appmod
    from seedance_desktop.ui.crash import CrashReporter
    from seedance_desktop.ui.support_menu import ui_facts

    key = simulator.api_key
    monkeypatch.setenv("MODELLIX_API_KEY", key)
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    out = tmp_path / "out"
    served: list[str] = []  # the signed result URLs the simulator handed out

    builder = live_runtime_builder(simulator.base_url, out)

    setup_logging(paths, level=logging.DEBUG)
    package_logger = logging.getLogger("seedance_desktop")
    previous_level = package_logger.level
    package_logger.setLevel(logging.DEBUG)
    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=appmod.Shell(paths))
    qtbot.addWidget(desktop.window)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        crashes = CrashReporter(paths.log_file, desktop.window)
        crashes.install(loop)
        run = asyncio.ensure_future(desktop.run())
        try:
            await asyncio.wait_for(desktop.ready.wait(), 30)
            result["live"] = not desktop.runtime.demo and not desktop.window.banner.isVisible()
            assert desktop.fill_sample()
            await until(desktop.form.submit_action.isEnabled, 30, "the sample request to be valid")
            desktop.form.submit_action.trigger()
            store = desktop.runtime.store
            await until(lambda: len(store.list()) == 1 and store.list()[0].state.is_final, 120, "the job to finish")
            job = store.list()[0]
            result["state"], result["error"] = job.state.value, job.error
            info = await desktop.runtime.client.get_task(job.task_id)
            served.extend(r.url for r in info.candidates)
            # A careless exception with the key and a signed link in it, past every handler:
            signed = served[0] if served else f"{simulator.base_url}/x.mp4?signature=abc"
            loop.call_soon(_raise, f"boom with key {key} at {signed} Authorization: Bearer {key}")
            await until(lambda: crashes.count == 1, 10, "the crash net to see the exception")
            result["crash_text"] = crashes.box.text() + crashes.box.detailedText() if crashes.box else ""
            if crashes.box is not None:
                crashes.box.close()
            # While the database is open its WAL holds the latest transactions: search it now.
            result["open_leaks"] = leaks([paths.data_dir], needles(key, served))
            result["diagnostics"] = await asyncio.to_thread(desktop.diagnostics, ui_facts(desktop.mode_name()))
            desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
            result["exit"] = await asyncio.wait_for(run, 30)
        finally:
            crashes.uninstall()

    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
            runner.run(scenario())
    finally:
        close_logging()
        package_logger.setLevel(previous_level)
        gc.collect()

    assert result["live"] is True and result["exit"] == 0
    assert result["state"] == "done", result["error"]
    assert served and all("signature=" in url for url in served)  # there were signed links to leak
    # There were files to leak into: a log, a sidecar, the settings.
    assert paths.log_file.stat().st_size > 0 and any(out.rglob("*.json")) and paths.settings_file.is_file()
    assert result["open_leaks"] == []
    assert leaks([tmp_path / "home", out], needles(key, served)) == [], paths.log_file.read_text()[-6000:]
    for text in (result["diagnostics"], result["crash_text"]):
        assert [n for n in needles(key, served) if n.decode() in text] == []
    assert "Settings:" in result["diagnostics"] and "Last 60 log lines" in result["diagnostics"]
    assert str(paths.log_file) in result["crash_text"]


def needles(key: str, served: list[str]) -> list[bytes]:
    """The key, an Authorization header's token, and each signed URL's query string."""
    found = [key.encode(), b"Bearer " + key.encode(), b"signature="]
    for url in served:
        found.append(url.split("?", 1)[1].encode())
    return found


def _raise(message: str) -> None:
    raise RuntimeError(message)
