"""Issue 12 in the window, live mode (a key and a base URL pointing at a simulator started here;
no demo banner): a 3 prompts x 4 seeds grid queues 12 jobs after one confirmation showing the
total estimate; the monthly cap holds the jobs that would cross it, the budget bar shows the
figures and "Send anyway" sends them; the spend view sums what the simulator billed; the prompt
history finds a prompt by a word; a preset applied from the menu fills the form."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest
import qasync

from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.presets import Preset
from seedance_desktop.core.settings import Settings, SettingsStore
from tests.core.engine.engine_harness import hosted_url
from tests.ui.live_app import QT_NOISE, until, live_runtime_builder

MODEL = "bytedance/seedance-2.0-fast-v2v"


def text_contrast(label: Any) -> float:
    """WCAG contrast of a label as painted: its darkest pixel (the text) against its most common
    pixel (the background)."""
    from collections import Counter

    from PySide6.QtGui import QColor

    image = label.grab().toImage()
    pixels = Counter(image.pixel(x, y) for x in range(image.width()) for y in range(image.height()))

    def luminance(rgb: int) -> float:
        def channel(v: int) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        colour = QColor.fromRgb(rgb)
        return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())

    background = luminance(pixels.most_common(1)[0][0])
    text = min(luminance(rgb) for rgb in pixels)
    return (max(background, text) + 0.05) / (min(background, text) + 0.05)


@QT_NOISE
@pytest.mark.timeout(180)
def test_grid_budget_spend_history_and_presets_in_the_window(
        qtbot: Any, qapp: Any, tmp_path: Path, simulator: Any, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.ui import app as appmod

    monkeypatch.setenv("MODELLIX_API_KEY", simulator.api_key)
    url = hosted_url(simulator.base_url, simulator.api_key, clip)
    paths = AppPaths.from_env(tmp_path / "home").ensure()
    SettingsStore(paths.settings_file).save(Settings(monthly_cap=0.3))  # one 480p 4 s job ($0.276) fits

    builder = live_runtime_builder(simulator.base_url, tmp_path / "out")

    qapp.setQuitOnLastWindowClosed(False)
    desktop = appmod.DesktopApp(qapp, paths, runtime_builder=builder, shell=appmod.Shell(paths))
    qtbot.addWidget(desktop.window)
    result: dict[str, Any] = {}

    async def scenario() -> None:
        run = asyncio.ensure_future(desktop.run())
        await asyncio.wait_for(desktop.ready.wait(), 30)
        result["banner"] = desktop.window.banner.isVisible()
        tools = desktop.tools
        store = desktop.runtime.store
        desktop.form.set_recipe(MODEL, {"prompt": "base", "video_urls": [url], "duration": 4, "resolution": "480p"}, [])

        tools.open_batch()
        dialog = tools.batch_dialog
        dialog.prompts.setPlainText("a red fox in snow\nocean waves at dusk\ncity lights in rain")
        dialog.axes["seed"].setText("1, 2, 3, 4")
        await until(lambda: dialog.preview.topLevelItemCount() == 12 and dialog.headroom is not None, 10,
                    "the 12-job preview")
        preview = dialog.preview
        rows = [preview.topLevelItem(i) for i in range(12)]
        result["preview rows"] = [tuple(row.text(c) for c in range(4)) for row in rows]
        # Every row's prompt starts at the same x, also from line 10 on (two-digit numbers).
        result["prompt x"] = {preview.visualItemRect(row).x() + preview.header().sectionPosition(1) for row in rows}
        result["button"] = dialog.queue_button.text()
        result["total"] = dialog.total.text()
        result["before"] = store.count()
        dialog.queue_button.click()  # the one confirmation
        result["after"] = store.count()
        groups = {j.group_id for j in store.list()}
        result["groups"] = groups

        bar = tools.budget_bar
        await until(lambda: bar.isVisible() and len(bar.held) == 11, 30, "the budget bar to hold 11 jobs")
        result["bar"] = bar.label.text()
        result["submits_held"] = simulator.simulator.request_counts().get("submit", 0)
        result["send_all_shown"] = bar._send_all_action.isVisible()
        bar.send_all.click()  # "Send all anyway"
        await until(lambda: all(j.state is JobState.DONE for j in store.list()), 120, "all 12 jobs to finish")
        result["bar_after"] = bar.isVisible()

        tools.open_spend()
        spend = tools.spend_dialog
        await until(lambda: spend.month.text() != "…", 10, "the spend figures")
        result["month"] = spend.month.text()
        result["captions"] = {c.text(): round(text_contrast(c), 1) for c in spend.captions}
        result["ledger_rows"] = spend.ledger.rowCount()
        spend.close()

        tools.open_history()
        history = tools.history_dialog
        await until(lambda: history.list.count() > 0, 10, "the prompt history")
        history.search.setText("OCEAN")
        result["found"] = history.shown_prompts()
        history.close()

        tools.presets.apply(Preset("Square", MODEL, {"prompt": "from a preset", "video_urls": [url],
                                                     "ratio": "1:1", "duration": 6, "resolution": "480p"}))
        result["recipe"] = desktop.form.recipe()
        desktop.window.quit_now()  # ends the session: no quit prompt about jobs in flight
        result["exit"] = await asyncio.wait_for(run, 30)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(scenario())
    gc.collect()

    assert result["banner"] is False and result["exit"] == 0  # live mode
    assert result["button"] == "Queue 12 jobs · ≈ $3.312" and "12 job(s), ≈ $3.312 (estimate)" in result["total"]
    assert "crosses your budget cap ($0.30 left)" in result["total"]
    assert result["preview rows"][8] == ("9.", "city lights in rain", "seed=1", "~$0.276")
    assert result["preview rows"][9] == ("10.", "city lights in rain", "seed=2", "~$0.276")
    assert len(result["prompt x"]) == 1
    assert result["before"] == 0 and result["after"] == 12 and len(result["groups"]) == 1
    assert "monthly cap is $0.30" in result["bar"] and "11 more" not in result["bar"]
    assert result["send_all_shown"] is True
    assert result["submits_held"] <= 1  # nothing sent past the cap before "Send anyway"
    assert simulator.simulator.request_counts()["submit"] == 12 and result["bar_after"] is False
    billed = sum(r.amount for r in simulator.simulator.tasks().values())
    assert result["month"] == usd(billed) == "$3.312" and result["ledger_rows"] == 12
    # "Today", "This week"... readable: at least WCAG's 4.5:1 for body text.
    assert len(result["captions"]) == 4 and min(result["captions"].values()) >= 4.5, result["captions"]
    assert result["found"] == ["ocean waves at dusk"]
    model, request, _ = result["recipe"]
    assert model == MODEL and request["prompt"] == "from a preset" and request["duration"] == 6
