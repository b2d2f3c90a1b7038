"""Numeric editors keep what the user typed, say the allowed range at the field and let the
form's validation hold Submit; the seed field accepts -1 (random)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from seedance_desktop.api.spec import MAX_SEED
from seedance_desktop.ui.form.request_form import RequestForm



def valid_form(qtbot: Any, form: RequestForm, media_files: dict[str, Path]) -> None:
    form.add_media_paths([str(media_files["video"])])
    assert form.prompt is not None
    form.prompt.set_text("Make [Video 1] look like a watercolor")
    qtbot.waitUntil(lambda: not form.inspector.busy(), timeout=10_000)
    assert form.validate_now(), form.invalid_reason()


def type_into(qtbot: Any, spin: Any, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    spin.clearFocus()  # focus-out is where a plain QSpinBox used to replace the value


def test_typed_duration_20_is_kept_shows_the_range_and_blocks_submit(qtbot: Any, form: Any, media_files: Any) -> None:
    valid_form(qtbot, form, media_files)
    duration = form.editors["duration"]
    type_into(qtbot, duration.spin, "20")
    form.validate_now()
    assert duration.value() == 20 and duration.spin.text() == "20 s"
    assert duration.error_text() == "Duration must be a whole number of seconds from 4 to 15"
    assert duration.message.isVisibleTo(duration)
    assert not form.submit_button.isEnabled() and not form.submit_action.isEnabled()
    assert "4–15 s" in duration.spin.toolTip()

    type_into(qtbot, duration.spin, "12")
    form.validate_now()
    assert duration.error_text() == "" and form.submit_button.isEnabled()
    assert form.recipe()[1]["duration"] == 12


def test_arrows_step_back_into_the_range_not_out_of_it(qtbot: Any, form: Any) -> None:
    duration = form.editors["duration"].spin
    duration.setValue(15)
    qtbot.keyClick(duration, Qt.Key.Key_Up)
    assert duration.value() == 15
    duration.setValue(20)
    qtbot.keyClick(duration, Qt.Key.Key_Down)
    assert duration.value() == 15  # one step from outside lands on the nearest valid value
    duration.setValue(4)
    qtbot.keyClick(duration, Qt.Key.Key_Down)
    assert duration.value() == 4


def test_task_expiry_100_is_kept_with_its_range(qtbot: Any, form: Any, media_files: Any) -> None:
    valid_form(qtbot, form, media_files)
    expiry = form.editors["execution_expires_after"]
    type_into(qtbot, expiry.spin, "100")
    form.validate_now()
    assert expiry.value() == 100
    assert "from 3600 (1 hour) to 259200 (72 hours)" in expiry.error_text()
    assert not form.submit_button.isEnabled()


def test_seed_field_accepts_minus_one_as_random(qtbot: Any, form: Any, media_files: Any) -> None:
    valid_form(qtbot, form, media_files)
    seed = form.editors["seed"]
    seed.fixed.setChecked(True)
    seed.edit.clear()
    qtbot.keyClicks(seed.edit, "-1")
    assert seed.edit.text() == "-1"  # the validator used to refuse the minus sign
    form.validate_now()
    assert seed.error_text() == "" and form.submit_button.isEnabled()
    assert form.recipe()[1]["seed"] == -1
    assert "random" in seed.message.text()

    seed.edit.setText("-")
    form.validate_now()
    assert "Enter a seed" in seed.error_text() and not form.submit_button.isEnabled()
    seed.edit.setText("-2")
    form.validate_now()
    assert "from -1 (random)" in seed.error_text()
    seed.edit.setText(str(MAX_SEED))
    form.validate_now()
    assert seed.error_text() == "" and form.recipe()[1]["seed"] == MAX_SEED
