"""The request form: generated fields, inline validation messages, exclusivity, drag and drop,
placeholders, submit payloads, recipes and clipboard exports."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QPlainTextEdit, QWidget

from seedance_desktop.api.spec import MAX_SEED
from seedance_desktop.core.job import InputFile, Job
from seedance_desktop.core.engine.runner import request_with_urls
from seedance_desktop.media.synth import make_clip
from seedance_desktop.ui.form import media_inspector
from seedance_desktop.ui.form.request_form import PENDING_NOTE, RequestForm

V2V = "bytedance/seedance-2.0-fast-v2v"
I2V = "bytedance/seedance-2.0-fast-i2v"
URL = "https://example.com/in.mp4"



def settle(qtbot, form: RequestForm) -> None:
    """Wait for worker probes to arrive, then validate without waiting for the debounce."""
    qtbot.waitUntil(lambda: not form.inspector.busy(), timeout=10_000)
    form.validate_now()


def valid_form(qtbot, form: RequestForm, media_files: dict[str, Path]) -> None:
    form.add_media_paths([str(media_files["video"])])
    form.prompt.set_text("Make [Video 1] look like a watercolor")
    settle(qtbot, form)


# ----- messages for bad input -----------------------------------------------------------------

def test_empty_prompt_message_and_submit_disabled_with_reason(qtbot, form, media_files) -> None:
    form.add_media_paths([str(media_files["video"])])
    settle(qtbot, form)
    assert "Write a prompt" in form.prompt.error_text()
    assert not form.submit_button.isEnabled()
    assert not form.submit_action.isEnabled()
    assert "Write a prompt" in form.submit_button.toolTip()
    assert "Write a prompt" in form.status.text()
    assert form.invalid_reason().startswith("Write a prompt")


def test_too_long_prompt(qtbot, form, media_files) -> None:
    valid_form(qtbot, form, media_files)
    form.prompt.set_text("x" * 2001)
    form.validate_now()
    assert "2001 characters" in form.prompt.error_text()
    assert form.prompt.counter.text() == "2001 / 2000"
    assert not form.submit_button.isEnabled()


def test_no_video(qtbot, form) -> None:
    form.prompt.set_text("A cat")
    form.validate_now()
    assert "Add at least one reference video" in form.media["video_urls"].error_text()
    assert not form.is_valid()


def test_fourth_video_is_refused_with_a_message(qtbot, form, media_files) -> None:
    refused = form.media["video_urls"].add_sources([str(media_files["video"])] * 4)
    assert len(refused) == 1 and len(form.media["video_urls"].entries()) == 3
    assert "at most 3" in form.media["video_urls"].message.text()


def test_four_videos_from_a_recipe_are_reported(qtbot, form) -> None:
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL] * 4}, [])
    assert "at most 3 reference videos" in form.media["video_urls"].error_text()
    assert not form.is_valid()


def test_bad_url(qtbot, form) -> None:
    form.prompt.set_text("p")
    lst = form.media["video_urls"]
    lst.url_edit.setText("ftp://example.com/a.mp4")
    qtbot.mouseClick(lst.url_button, Qt.MouseButton.LeftButton)
    form.validate_now()
    assert "must be an http(s) link" in lst.error_text()
    assert not form.submit_button.isEnabled()


def test_duration_out_of_range_from_recipe_is_kept_and_said(qtbot, form) -> None:
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL], "duration": 20}, [])
    form.validate_now()
    editor = form.editors["duration"]
    assert editor.value() == 20  # kept for the user to fix, never silently replaced
    assert "from 4 to 15" in editor.error_text() and not form.submit_button.isEnabled()


def test_seed_out_of_range(qtbot, form, media_files) -> None:
    valid_form(qtbot, form, media_files)
    seed = form.editors["seed"]
    seed.fixed.setChecked(True)
    seed.edit.setText(str(MAX_SEED + 1))
    form.validate_now()
    assert "Seed must be a whole number from -1" in seed.error_text()
    assert not form.submit_button.isEnabled()
    seed.edit.setText("")
    form.validate_now()
    assert "Enter a seed" in seed.error_text() and not form.submit_button.isEnabled()
    seed.edit.setText("42")
    form.validate_now()
    assert seed.error_text() == "" and form.submit_button.isEnabled()
    assert form.recipe()[1]["seed"] == 42


def test_image_to_video_without_an_image(qtbot, form) -> None:
    form.set_model(I2V)
    form.prompt.set_text("A sunrise")
    form.validate_now()
    assert "video_urls" not in form.media
    assert "Add an image" in form.choice.message.text()
    assert not form.is_valid()


# ----- exclusivity -----------------------------------------------------------------------------

def test_frames_and_reference_images_are_one_choice(qtbot, form, media_files) -> None:
    choice = form.choice
    assert [b.text() for b in choice.buttons.buttons()] == ["First / last frame", "Reference images"]
    assert "not both" in choice.hint.text()
    assert choice.mode() == 0
    assert form.media["first_frame_image"].isEnabled() and not form.media["reference_images"].isEnabled()
    choice.buttons.button(1).click()
    assert choice.stack.currentIndex() == 1
    assert form.media["reference_images"].isEnabled() and not form.media["first_frame_image"].isEnabled()
    form.add_media_paths([str(media_files["image"])])  # routes to the visible group
    assert len(form.media["reference_images"].entries()) == 1
    assert form.media["first_frame_image"].entries() == []


def test_frames_plus_reference_images_together_sends_only_the_chosen_group(qtbot, form) -> None:
    img = "https://example.com/a.png"
    form.set_recipe(V2V, {"prompt": "p", "video_urls": [URL], "first_frame_image": img,
                          "reference_images": [img, img]}, [])
    assert form.choice.mode() == 0
    assert "2 reference images entries kept aside and NOT sent" in form.choice.aside.text()
    _, request, _ = form.recipe()
    assert request["first_frame_image"] == img and "reference_images" not in request
    form.choice.buttons.button(1).click()
    _, request, _ = form.recipe()
    assert request["reference_images"] == [img, img] and "first_frame_image" not in request
    assert "1 first / last frame entry kept aside" in form.choice.aside.text()


# ----- drag and drop ---------------------------------------------------------------------------

def _drop(widget: QWidget, paths: list[Path]) -> bool:
    """What a file manager does: drag enter, move, drop (Qt only delivers a drop to a widget
    that accepted the drag). Returns whether the drop was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(10, 10), *args)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(QPoint(10, 10), *args)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(10, 10), *args)
    QApplication.sendEvent(widget, drop)
    return bool(enter.isAccepted() and drop.isAccepted())


def test_drop_files_on_the_form_routes_by_type(qtbot, form, media_files) -> None:
    assert _drop(form, [media_files["video"], media_files["image"], media_files["audio"]])
    assert form.media["video_urls"].entries() == [str(media_files["video"])]
    assert form.media["first_frame_image"].entries() == [str(media_files["image"])]
    assert form.media["audio_urls"].entries() == [str(media_files["audio"])]
    settle(qtbot, form)
    item_text = form.media["video_urls"].list.item(0).text()
    assert "clip.mp4" in item_text and "Inspecting" not in item_text
    assert form.media["first_frame_image"].list.item(0).text().splitlines()[1].startswith("640×640")
    assert not form.media["first_frame_image"].list.item(0).icon().isNull()


def test_drop_on_a_media_list_refuses_wrong_types(qtbot, form, media_files) -> None:
    audio_list = form.media["audio_urls"]
    assert _drop(audio_list.list.viewport(), [media_files["audio"], media_files["video"]])
    assert audio_list.entries() == [str(media_files["audio"])]
    assert "clip.mp4 is not an audio file" in audio_list.message.text()


def test_reorder_and_delete_key(qtbot, form) -> None:
    lst = form.media["video_urls"]
    a, b = "https://e.com/a.mp4", "https://e.com/b.mp4"
    lst.add_sources([a, b])
    lst.list.setCurrentRow(1)
    qtbot.mouseClick(lst.up_button, Qt.MouseButton.LeftButton)
    assert lst.entries() == [b, a]
    lst.list.setCurrentRow(0)
    qtbot.keyClick(lst.list, Qt.Key.Key_Delete)
    assert lst.entries() == [a]


# ----- placeholders ----------------------------------------------------------------------------

def test_placeholder_warnings_and_chips(qtbot, form, media_files) -> None:
    form.add_media_paths([str(media_files["video"])])
    form.prompt.set_text("Blend [Video 2] with [Image 1]")
    warning = form.prompt.placeholder_text()
    assert "No input for [Video 2], [Image 1]" in warning
    assert "Not mentioned in the prompt: [Video 1]" in warning
    assert form.prompt.chip_texts() == ["[Video 1]"]
    form.prompt.set_text("")
    qtbot.mouseClick(form.prompt._chip_buttons[0], Qt.MouseButton.LeftButton)
    assert form.prompt.text().strip() == "[Video 1]"
    assert form.prompt.placeholder_text() == ""


# ----- submit, recipes, clipboard --------------------------------------------------------------

def test_submit_payload_keeps_urls_and_names_local_files(qtbot, form, media_files) -> None:
    form.media["video_urls"].add_sources([URL, str(media_files["video"])])
    form.prompt.set_text("[Video 1] then [Video 2]")
    settle(qtbot, form)
    assert form.submit_button.isEnabled(), form.invalid_reason()
    with qtbot.waitActive(form):
        form.show()
        form.activateWindow()
    form.prompt.edit.setFocus()
    with qtbot.waitSignal(form.submit_requested, timeout=1000) as blocker:
        QTest.keyClick(form.prompt.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    model, request, inputs = blocker.args
    assert model == V2V
    assert request["video_urls"] == [URL, None]  # the local file's slot, filled after upload
    assert request["duration"] == 5 and request["seed"] == -1
    assert inputs == [InputFile("video_urls", 1, str(media_files["video"]))]
    assert str(media_files["video"]) not in repr(request)
    # The engine's contract: the uploaded URL lands in exactly that slot.
    uploaded = [InputFile(i.field, i.index, i.local_path, "https://files.example/up.mp4") for i in inputs]
    sent = request_with_urls(Job(model=model, request=request, inputs=uploaded))
    assert sent["video_urls"] == [URL, "https://files.example/up.mp4"]


def test_a_file_still_being_checked_does_not_hold_submit(qtbot, form, tmp_path, monkeypatch) -> None:
    """Submit works at once (the job's PREPARING step checks every input again); a problem the
    check finds afterwards still disables it, with the reason."""
    short = make_clip(tmp_path / "short.mp4", duration=1.0)
    gate = threading.Event()
    real = media_inspector.inspect_file

    def held(path: str, kind: object) -> media_inspector.Inspection:
        gate.wait(10)
        return real(path, kind)  # type: ignore[arg-type]

    monkeypatch.setattr(media_inspector, "inspect_file", held)
    try:
        form.add_media_paths([str(short)])
        form.prompt.set_text("Make [Video 1] look like a watercolor")
        form.validate_now()
        assert form.inspector.busy()
        assert form.submit_button.isEnabled() and form.submit_action.isEnabled()
        assert form.status.text() == PENDING_NOTE
        with qtbot.waitSignal(form.submit_requested, timeout=1000) as blocker:
            form.submit_button.click()
        assert blocker.args[2] == [InputFile("video_urls", 0, str(short))]
    finally:
        gate.set()
    settle(qtbot, form)
    assert not form.submit_button.isEnabled()
    assert "at least 2 s" in form.invalid_reason() and "at least 2 s" in form.status.text()


def test_local_file_first_keeps_its_position(qtbot, form, media_files) -> None:
    form.media["video_urls"].add_sources([str(media_files["video"]), URL])
    _, request, inputs = form.recipe()
    assert request["video_urls"] == [None, URL]
    assert inputs == [InputFile("video_urls", 0, str(media_files["video"]))]
    uploaded = [InputFile(i.field, i.index, i.local_path, "https://files.example/up.mp4") for i in inputs]
    sent = request_with_urls(Job(model=V2V, request=request, inputs=uploaded))
    assert sent["video_urls"] == ["https://files.example/up.mp4", URL]


def test_validity_signal(qtbot, form, media_files) -> None:
    with qtbot.waitSignal(form.validity_changed, timeout=2000,
                          check_params_cb=lambda ok, reason: ok and reason == ""):
        valid_form(qtbot, form, media_files)
    with qtbot.waitSignal(form.validity_changed, timeout=2000,
                          check_params_cb=lambda ok, reason: not ok and "prompt" in reason):
        form.prompt.set_text("")  # the debounced check fires by itself


def test_set_recipe_round_trip(qtbot, form, media_files) -> None:
    request = {"prompt": "[Video 1] [Video 2] [Image 1]", "video_urls": [URL, None],
               "reference_images": [None], "resolution": "480p",
               "ratio": "16:9", "duration": 7, "seed": 1234, "camera_fixed": True, "generate_audio": False,
               "return_last_frame": True, "execution_expires_after": 7200}
    inputs = [InputFile("video_urls", 1, str(media_files["video"])),
              InputFile("reference_images", 0, str(media_files["image"]))]
    form.set_recipe(V2V, request, inputs)
    assert form.choice.mode() == 1
    model, got_request, got_inputs = form.recipe()
    assert model == V2V and got_request == request
    assert sorted(got_inputs, key=lambda i: i.field) == sorted(inputs, key=lambda i: i.field)
    other = RequestForm()
    qtbot.addWidget(other)
    other.set_recipe(*form.recipe())
    assert other.recipe() == form.recipe()
    other.inspector.wait(10_000)


def test_model_switch_keeps_compatible_values(qtbot, form) -> None:
    form.set_model("bytedance/seedance-2.0-v2v")
    form.set_recipe("bytedance/seedance-2.0-v2v", {"prompt": "keep me", "video_urls": [URL],
                                                    "resolution": "1080p", "duration": 9}, [])
    form.model_combo.setCurrentIndex(form.model_combo.findData(V2V))
    assert form.spec.slug == V2V
    _, request, _ = form.recipe()
    assert request["prompt"] == "keep me" and request["video_urls"] == [URL] and request["duration"] == 9
    assert request["resolution"] == "720p"
    assert "1080p is not offered" in form.editors["resolution"].message.text()
    form.set_model(I2V)
    assert "video_urls" not in form.recipe()[1] and form.recipe()[1]["prompt"] == "keep me"


def test_copy_as_curl_redacts_key_and_uses_base_url(qtbot, form, media_files) -> None:
    valid_form(qtbot, form, media_files)
    form.set_base_url("http://127.0.0.1:8765")
    qtbot.mouseClick(form.copy_curl_button, Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert text.startswith("curl -X POST 'http://127.0.0.1:8765/api/v1/bytedance/seedance-2.0-fast-v2v'")
    assert '"Authorization: Bearer $MODELLIX_API_KEY"' in text
    assert "<local file clip.mp4: uploaded on submit>" in text
    qtbot.mouseClick(form.copy_json_button, Qt.MouseButton.LeftButton)
    assert '"prompt": "Make [Video 1] look like a watercolor"' in QGuiApplication.clipboard().text()


def test_cost_estimate_follows_resolution_and_duration(qtbot, form) -> None:
    assert form.submit_button.text() == "&Submit · ≈ $0.69 (estimate)"
    form.editors["resolution"].set_value("480p")
    form.editors["duration"].set_value(10)
    form.validate_now()
    assert form.submit_button.text() == "&Submit · ≈ $0.69 (estimate)"
    form.editors["duration"].set_value(4)
    form.validate_now()
    assert form.submit_button.text() == "&Submit · ≈ $0.276 (estimate)"
    # A partial override (one resolution) keeps the model's price for the others.
    form.set_prices({form.spec.slug: {"720p": 1.0}})
    assert form.submit_button.text() == "&Submit · ≈ $0.276 (estimate)"
    form.editors["resolution"].set_value("720p")
    form.validate_now()
    assert form.submit_button.text() == "&Submit · ≈ $4.00 (estimate)"
    form.set_demo(True)
    assert form.submit_button.text() == "&Submit · nothing billed (demo)"


def test_seed_reuse(qtbot, form) -> None:
    seed = form.editors["seed"]
    assert not seed.reuse.isEnabled()
    form.set_last_seed(777)
    qtbot.mouseClick(seed.reuse, Qt.MouseButton.LeftButton)
    assert form.recipe()[1]["seed"] == 777


def test_keyboard_access(qtbot, form) -> None:
    labels = [w.text() for w in form.findChildren(QLabel) if "&" in w.text()]
    labels += [w.text() for w in form.findChildren(QAbstractButton) if "&" in w.text()]
    keys = [t[t.index("&") + 1].lower() for t in labels]
    assert len(keys) == len(set(keys)), labels
    for label in form.findChildren(QLabel):
        if "&" in label.text():
            assert label.buddy() is not None, label.text()
    for widget in form.findChildren(QLineEdit) + form.findChildren(QPlainTextEdit):
        if widget.isVisibleTo(form) and widget.parent() is not None and not isinstance(widget.parent(), QLineEdit):
            assert widget.accessibleName() or widget.objectName().startswith("qt_"), widget


def test_tab_order_follows_the_layout(qtbot, form, media_files) -> None:
    form.add_media_paths([str(media_files["video"])])  # rebuilds the prompt chips
    form.set_model(I2V)  # and a rebuild of every field
    form.set_model(V2V)
    form.add_media_paths([str(media_files["video"])])
    order = []
    widget = form.model_combo
    for _ in range(200):
        order.append(widget)
        widget = widget.nextInFocusChain()
        if widget is form.model_combo:
            break
    focusable = [w for w in order if w.focusPolicy() & Qt.FocusPolicy.TabFocus and not isinstance(w, QLabel)
                 and w.isVisibleTo(form)]
    assert focusable[1] is form.prompt.edit
    assert focusable[2].text() == "[Video 1]"
    assert focusable[-3:] == [form.copy_json_button, form.copy_curl_button, form.submit_button]
    assert focusable.index(form.media["video_urls"].list) < focusable.index(form.editors["duration"].spin)


def test_refused_files_are_said_and_survive_validation(qtbot, form, tmp_path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    assert form.add_media_paths([str(text_file)]) == [str(text_file)]
    form.validate_now()
    assert "Not added: notes.txt" in form.notice.text() and form.notice.isVisibleTo(form)


def test_unknown_models_do_not_crash(qtbot) -> None:
    form = RequestForm(model="someone/retired-model")
    qtbot.addWidget(form)
    assert form.spec.slug == V2V
    form.set_recipe("someone/retired-model", {"prompt": "x"}, [])
    assert "does not support" in form.notice.text()
    assert form.prompt.text() == ""


def test_many_inputs_use_one_dropdown_per_kind(qtbot, form) -> None:
    form.choice.buttons.button(1).click()
    form.media["reference_images"].add_sources([f"https://e.com/{i}.png" for i in range(9)])
    form.media["video_urls"].add_sources(["https://e.com/v.mp4"])
    form.validate_now()
    assert len(form.prompt._chip_buttons) == 2
    assert form.prompt.chip_texts() == ["[Video 1]", *[f"[Image {n}]" for n in range(1, 10)]]
    menu = form.prompt._chip_buttons[1].menu()
    menu.actions()[8].trigger()
    assert form.prompt.text().strip() == "[Image 9]"


def test_truncated_mp4_with_its_index_at_the_front_is_refused_before_upload(qtbot, form, tmp_path) -> None:
    """Issue 9 item 3: it probes as a whole "5.0 s · 1280x720" clip; the tail decode check
    (in the inspector's worker) refuses it, so Submit stays disabled with the reason."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "media"))
    from clipbank import truncated_faststart

    cut = truncated_faststart(tmp_path / "cut.mp4")
    form.add_media_paths([str(cut)])
    form.prompt.set_text("Make [Video 1] look like a watercolor")
    settle(qtbot, form)
    lines = form.media["video_urls"].list.item(0).text().splitlines()
    assert lines[1].startswith("5.0 s · 1280×720")
    assert lines[2].startswith("⚠ It does not decode to the end (decoding stops at")
    assert not form.submit_button.isEnabled()
    assert "Reference video 1 (cut.mp4): It does not decode to the end" in form.submit_button.toolTip()
