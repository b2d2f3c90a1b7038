"""Issue 12: the caps and the price table are edited in Settings; a bad value says what to type."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox

from seedance_desktop.core.settings import Settings
from seedance_desktop.ui.settings_dialog import SettingsDialog

MODEL = "bytedance/seedance-2.0-fast-v2v"


def test_caps_and_price_overrides_are_edited_in_settings(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(monthly_cap=50.0), secure_backend=True, key_storage=None)
    qtbot.addWidget(dialog)
    box = dialog.budget
    assert box.monthly.text() == "50" and box.daily.text() == ""
    box.daily.setText("$12.50")
    row = next(r for r in range(box.table.rowCount())
               if box.table.item(r, 0).data(256) == MODEL and box.table.item(r, 1).text() == "720p")
    box.table.item(row, 2).setText("0.2")
    edited = dialog.settings()
    assert (edited.daily_cap, edited.monthly_cap) == (12.5, 50.0)
    assert edited.prices == {MODEL: {"720p": 0.2}}  # only what differs from the model's own price
    box.monthly.setText("")
    assert dialog.settings().monthly_cap is None and not edited.problems()
    box.daily.setText("lots")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "daily cap must be an amount" in dialog.budget_message.text()
