"""Issue 9, the request form: optional inputs collapsed until used, no red before loading,
values kept across model switches, undo of replacements, the confirming Submit with the
estimate, [Video N] numbers, one size unit, displayed sizes of rotated clips, copy drops with a
highlight, the recent folder, and a tooltip on every control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QFileDialog, QLineEdit, QListWidget, QPlainTextEdit,
)

from seedance_desktop.core.job import InputFile
from seedance_desktop.ui.form.recent_folder import RecentFolder
from seedance_desktop.ui.form.request_form import RequestForm



def _rotated_clip(path: Path, rotation: int) -> Path:
    """The media tests' phone clip (stored landscape, a display rotation)."""
    import importlib.util

    location = Path(__file__).resolve().parents[2] / "media" / "conftest.py"
    spec = importlib.util.spec_from_file_location("media_helpers", location)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._rotated_clip(path, rotation)  # type: ignore[no-any-return]

V2V = "bytedance/seedance-2.0-fast-v2v"
I2V = "bytedance/seedance-2.0-fast-i2v"
URL = "https://example.com/in.mp4"
IMG = "https://example.com/a.png"


def make_form(qtbot: Any, **kw: Any) -> RequestForm:
    form = RequestForm(**kw)
    qtbot.addWidget(form)
    return form


@pytest.fixture
def form(qtbot: Any) -> Any:
    widget = make_form(qtbot)
    yield widget
    widget.inspector.wait(10_000)


def settle(qtbot: Any, form: RequestForm) -> None:
    qtbot.waitUntil(lambda: not form.inspector.busy(), timeout=10_000)
    form.validate_now()


# ----- layout ----------------------------------------------------------------------------------

def test_optional_images_and_audio_stay_closed_until_used(qtbot: Any, form: RequestForm, media_files: Any) -> None:
    images, audio = form.drawers[form.media["audio_urls"].kind.__class__.IMAGE], form.drawers[form.media["audio_urls"].kind]
    assert not images.expanded() and not audio.expanded()
    assert images.toggle.text().replace("&", "") == "+ Images" and audio.toggle.text().replace("&", "") == "+ Audio"
    assert not form.media["audio_urls"].isVisibleTo(form) and form.media["video_urls"].isVisibleTo(form)
    form.add_media_paths([str(media_files["audio"])])  # a drop or a handed-over file opens it
    assert audio.expanded() and audio.toggle.text().replace("&", "") == "Audio (1)"
    assert form.media["audio_urls"].isVisibleTo(form) and not images.expanded()
    qtbot.mouseClick(images.toggle, Qt.MouseButton.LeftButton)
    assert images.expanded() and form.choice is not None and form.choice.isVisibleTo(form)
    form.set_model(I2V)  # images are what image-to-video needs: shown open, no drawer
    assert form.choice is not None and form.choice.isVisibleTo(form)
    assert set(form.drawers) == {form.media["audio_urls"].kind}


def test_output_settings_share_rows(qtbot: Any, form: RequestForm) -> None:
    form.resize(420, 900)
    form.show()
    qtbot.waitExposed(form)
    res, ratio = form.editors["resolution"].combo, form.editors["ratio"].combo
    top = lambda w: w.mapTo(form, QPoint(0, 0)).y()  # noqa: E731
    assert top(res) == top(ratio)  # two settings a row: duration, ratio, resolution and seed fit
    assert top(form.editors["seed"].edit) < top(form.copy_json_button)


# ----- loading and quiet validation ------------------------------------------------------------

def test_no_red_while_loading_and_only_touched_fields_complain(qtbot: Any, media_files: Any) -> None:
    form = make_form(qtbot, loading=True)
    assert form.status.text() == "Loading…" and form.status.kind == "info"
    assert form.prompt is not None and form.prompt.error_text() == ""
    assert form.media["video_urls"].error_text() == ""
    assert not form.submit_button.isEnabled()
    form.set_loading(False)
    assert form.status.kind == "info" and form.status.text().startswith("Write a prompt")
    assert form.prompt.error_text() == "" and form.media["video_urls"].error_text() == ""
    form.media["video_urls"].add_sources(["ftp://bad"])  # the person touched the videos
    form.validate_now()
    assert "http(s)" in form.media["video_urls"].error_text() and form.status.kind == "error"
    assert form.prompt.error_text() == ""  # the prompt was not touched yet
    form.submit()  # pressing Submit shows everything
    assert "Write a prompt" in form.prompt.error_text()
    form.inspector.wait(10_000)


def test_a_loaded_recipe_says_what_is_wrong_at_once(qtbot: Any) -> None:
    form = make_form(qtbot, loading=True)
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL], "duration": 20}, [])
    assert "from 4 to 15" in form.editors["duration"].error_text()


# ----- model switch and undo -------------------------------------------------------------------

def test_videos_survive_a_trip_through_image_to_video(qtbot: Any, form: RequestForm) -> None:
    form.set_recipe(V2V, {"prompt": "keep", "video_urls": [URL], "reference_images": [IMG]}, [])
    form.model_combo.setCurrentIndex(form.model_combo.findData(I2V))
    assert "video_urls" not in form.media and "kept aside" in form.undo_bar.text()
    assert form.media["reference_images"].entries() == [IMG]
    form.model_combo.setCurrentIndex(form.model_combo.findData(V2V))
    assert form.media["video_urls"].entries() == [URL] and form.prompt is not None and form.prompt.text() == "keep"
    assert form.recipe()[1]["video_urls"] == [URL]


def test_replacing_the_form_can_be_undone(qtbot: Any, form: RequestForm, media_files: Any) -> None:
    form.show()
    qtbot.waitExposed(form)
    assert form.prompt is not None
    form.media["video_urls"].add_sources([str(media_files["video"])])
    form.prompt.set_text("my own words")
    form.set_recipe(V2V, {"prompt": "from a job", "video_urls": [URL], "seed": 5}, [], what="Duplicated job 1.")
    assert form.prompt.text() == "from a job" and form.undo_bar.isVisible()
    assert "Duplicated job 1." in form.undo_bar.text()
    qtbot.mouseClick(form.undo_bar.button, Qt.MouseButton.LeftButton)
    assert form.prompt.text() == "my own words"
    assert form.media["video_urls"].entries() == [str(media_files["video"])] and not form.undo_bar.isVisible()
    # Ctrl+Z, even with the cursor in the prompt whose text the recipe replaced
    form.set_recipe(I2V, {"prompt": "an image job", "first_frame_image": IMG}, [])
    form.prompt.edit.setFocus()
    form.activateWindow()
    qtbot.waitUntil(form.prompt.edit.hasFocus, timeout=2000)
    QTest.keyClick(form.prompt.edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.spec.slug == V2V and form.prompt.text() == "my own words"
    assert not form.can_undo()
    form.inspector.wait(10_000)


def test_an_empty_form_replaced_offers_no_undo(qtbot: Any, form: RequestForm) -> None:
    form.set_recipe(V2V, {"prompt": "x", "video_urls": [URL]}, [])
    assert not form.can_undo() and not form.undo_bar.isVisibleTo(form)


# ----- paid repeats and the estimate ----------------------------------------------------------

def test_submit_shows_the_estimate_and_confirms_a_repeat(qtbot: Any, form: RequestForm) -> None:
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL], "seed": 9, "resolution": "480p", "duration": 10}, [])
    assert form.submit_button.text() == "&Submit · ≈ $0.69 (estimate)"
    asked: list[tuple[str, dict[str, Any]]] = []
    answers = ["This exact recipe with seed 9 was already made: job abc."]

    def check(model: str, request: dict[str, Any], inputs: list[InputFile], reply: Any) -> None:
        asked.append((model, request))
        reply(answers.pop(0) if answers else "")

    form.set_duplicate_check(check)
    sent: list[Any] = []
    form.submit_requested.connect(lambda *args: sent.append(args))
    form.submit_button.click()
    assert sent == [] and "already made" in form.repeat_warning.text()
    assert form.submit_button.text().startswith("&Submit anyway · ≈ $0.69")
    form.submit_button.click()  # confirmed: queued without asking again
    assert len(sent) == 1 and len(asked) == 1 and form.repeat_warning.text() == ""
    form.editors["seed"].set_value(10)  # a change clears any pending confirmation
    form.submit_button.click()
    assert len(sent) == 2 and len(asked) == 2


def test_the_added_note_goes_at_the_next_edit_or_after_a_few_seconds(qtbot: Any, form: RequestForm) -> None:
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL], "seed": 9, "resolution": "480p", "duration": 10}, [])
    form.set_duplicate_check(lambda model, request, inputs, reply: reply(""))
    form.submit_button.click()
    assert form.notice.text().startswith("Added to the queue") and form.notice.isVisibleTo(form)
    qtbot.wait(400)  # the validation after sending is no edit: the note stays
    assert form.notice.text().startswith("Added to the queue")
    assert form.prompt is not None
    form.prompt.set_text("p, at night")  # the form no longer holds what was added
    assert form.notice.text() == "" and not form.notice.isVisibleTo(form)
    form.notice._timer.setInterval(50)  # and untouched, it goes by itself
    form.submit_button.click()
    assert form.notice.text().startswith("Added to the queue")
    qtbot.waitUntil(lambda: form.notice.text() == "", timeout=2000)
    assert not form.notice.isVisibleTo(form)


# ----- media rows -------------------------------------------------------------------------------

def test_rows_show_their_prompt_number_and_follow_reordering(qtbot: Any, form: RequestForm) -> None:
    videos = form.media["video_urls"]
    videos.add_sources(["https://e.com/a.mp4", "https://e.com/b.mp4"])
    assert [videos.list.item(i).text().split()[0:2] for i in range(2)] == [["[Video", "1]"], ["[Video", "2]"]]
    assert "a.mp4" in videos.list.item(0).text()
    videos.list.setCurrentRow(1)
    videos.up_button.click()
    assert videos.list.item(0).text().startswith("[Video 1] https://e.com/b.mp4")
    form.choice.buttons.button(1).click()  # reference images: numbered after nothing else
    form.media["reference_images"].add_sources([IMG, IMG])
    assert form.media["reference_images"].list.item(1).text().startswith("[Image 2] ")
    form.media["first_frame_image"]  # kept aside entries are not sent, so they have no number
    form.choice.buttons.button(0).click()
    assert not form.media["reference_images"].list.item(0).text().startswith("[")


def test_a_portrait_clip_shows_its_displayed_size_in_mb(qtbot: Any, form: RequestForm, tmp_path: Path) -> None:
    clip = _rotated_clip(tmp_path / "phone.mp4", 90)  # stored 640x360, shown upright
    form.add_media_paths([str(clip)])
    settle(qtbot, form)
    facts = form.media["video_urls"].list.item(0).text().splitlines()[1]
    assert "360×640" in facts and facts.endswith(" kB")


# ----- drops -------------------------------------------------------------------------------------

def test_drops_from_other_apps_are_copies_and_the_target_lights_up(qtbot: Any, form: RequestForm, media_files: Any) -> None:
    form.set_model(I2V)  # an open list to drop on
    target = form.media["reference_images"] if form.choice and form.choice.mode() == 1 else form.media["first_frame_image"]
    viewport_owner = target.list
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media_files["image"]))])
    args = (Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(5, 5), *args)
    QApplication.sendEvent(viewport_owner.viewport(), enter)
    assert enter.isAccepted() and enter.dropAction() == Qt.DropAction.CopyAction
    assert viewport_owner.property("dropTarget") is True
    QApplication.sendEvent(viewport_owner.viewport(), QDragLeaveEvent())
    assert viewport_owner.property("dropTarget") is False
    QApplication.sendEvent(viewport_owner.viewport(), QDragEnterEvent(QPoint(5, 5), *args))
    drop = QDropEvent(QPointF(5, 5), *args)
    QApplication.sendEvent(viewport_owner.viewport(), drop)
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
    assert target.entries() == [str(media_files["image"])] and viewport_owner.property("dropTarget") is False
    # the whole form too
    enter = QDragEnterEvent(QPoint(5, 5), *args)
    QApplication.sendEvent(form, enter)
    assert enter.dropAction() == Qt.DropAction.CopyAction and form.property("dropTarget") is True
    drop = QDropEvent(QPointF(5, 5), *args)
    QApplication.sendEvent(form, drop)
    assert drop.dropAction() == Qt.DropAction.CopyAction and form.property("dropTarget") is False


# ----- dialogs and tooltips ----------------------------------------------------------------------

def test_file_dialogs_open_in_the_recent_folder(qtbot: Any, media_files: Any, monkeypatch: Any, tmp_path: Path) -> None:
    recent = RecentFolder(str(tmp_path))
    form = make_form(qtbot, recent=recent)
    seen: list[str] = []

    def pick(parent: Any, caption: str, folder: str, filters: str) -> tuple[list[str], str]:
        seen.append(folder)
        return [str(media_files["video"])], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(pick))
    changed: list[str] = []
    recent.changed.connect(changed.append)
    form.media["video_urls"].add_button.click()
    form.media["video_urls"].list.clear()
    form.media["video_urls"].add_button.click()
    assert seen == [str(tmp_path), str(media_files["video"].parent)]
    assert changed == [str(media_files["video"].parent)]
    form.inspector.wait(10_000)


def test_every_control_has_a_tooltip(qtbot: Any, form: RequestForm) -> None:
    form.set_last_seed(3)
    form.media["video_urls"].add_sources([URL])
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QListWidget, QPlainTextEdit)
    missing = []
    for kind in kinds:
        for widget in form.findChildren(kind):
            if isinstance(widget.parent(), (QAbstractSpinBox, QComboBox, QLineEdit)):
                continue  # Qt's own parts: a spin box's line edit, a line edit's clear button
            if not widget.toolTip():
                missing.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} {widget.accessibleName()!r}")
    assert missing == []
    assert "4 to 15 s" in form.editors["duration"].spin.toolTip()
    assert "-1" in form.editors["seed"].edit.toolTip()
    assert "9:16" in form.editors["ratio"].combo.toolTip()
    assert "last frame" in form.editors["return_last_frame"].check.toolTip().lower()
    assert "still" in form.editors["camera_fixed"].check.toolTip()


def test_a_random_seed_is_never_a_repeat_and_an_edit_during_the_check_keeps_the_submit(
        qtbot: Any, form: RequestForm) -> None:
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL]}, [])
    pending: list[Any] = []
    form.set_duplicate_check(lambda model, request, inputs, reply: pending.append(reply))
    sent: list[Any] = []
    form.submit_requested.connect(lambda *args: sent.append(args))
    form.submit_button.click()  # seed -1: a new video each time, queued at once
    assert len(sent) == 1 and pending == []
    form.editors["seed"].set_value(5)
    form.submit_button.click()
    assert not form.submit_button.isEnabled() and form.status.text() == "Looking for an identical job…"
    form.prompt.set_text("edited while the check ran")
    pending.pop()("")
    assert len(sent) == 2 and sent[1][1]["prompt"] == "p"  # what was there when Submit was pressed
    form.submit_button.click()
    form.prompt.set_text("edited again")
    pending.pop()("This exact recipe with seed 5 was already made: job 1.")
    assert len(sent) == 2 and "Not queued: This exact recipe" in form.notice.text()


def test_applying_a_preset_can_be_undone(qtbot: Any, form: RequestForm, media_files: Any, tmp_path: Any) -> None:
    """Issue 12: a preset replaces the whole recipe through the form's loader, so the form's
    Undo brings back what the person had written and added."""
    from seedance_desktop.core.presets import BUILTIN_PRESETS, PresetStore
    from seedance_desktop.ui.recipes.presets_menu import PresetsMenu

    form.show()
    qtbot.waitExposed(form)
    assert form.prompt is not None
    form.media["video_urls"].add_sources([str(media_files["video"])])
    form.prompt.set_text("my own words")
    said: list[str] = []
    menu = PresetsMenu(PresetStore(tmp_path / "presets.json"), form, lambda work, then: then(work()),
                       notify=said.append, parent=form)
    preset = BUILTIN_PRESETS[0]
    menu.apply(preset)
    assert form.recipe()[1].get("prompt") == preset.request.get("prompt") and said
    assert form.undo_bar.isVisible()
    qtbot.mouseClick(form.undo_bar.button, Qt.MouseButton.LeftButton)
    assert form.prompt.text() == "my own words"
    assert form.media["video_urls"].entries() == [str(media_files["video"])]
