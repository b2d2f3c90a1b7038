"""The settings dialog: round trip through SettingsStore, inline base URL errors, key storage
choices, and a saved key that is never shown in plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QLabel, QLineEdit

from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.secrets import SecretStore
from seedance_desktop.core.settings import Settings, SettingsStore
from seedance_desktop.ui.settings_dialog import KeyChange, SettingsDialog

SECRET = "sk-live-0123456789abcdef-SECRET"


def ok_button(dialog: SettingsDialog) -> QAbstractButton:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(AppPaths.from_env(tmp_path / "home").ensure().settings_file)


def make(qtbot, settings: Settings, **kwargs) -> SettingsDialog:
    kwargs.setdefault("secure_backend", True)
    dialog = SettingsDialog(settings, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def test_settings_round_trip_through_a_temporary_config_dir(qtbot, store, tmp_path) -> None:
    dialog = make(qtbot, store.load())
    out = tmp_path / "videos"
    dialog.base_url.setText("http://127.0.0.1:8080")
    dialog.output_dir.setText(str(out))
    dialog.template.setText("{date}_{seed}_{job}")
    dialog.in_flight.setValue(7)
    dialog.demo_mode.setCurrentIndex(2)
    dialog.notify.setChecked(False)
    assert dialog.template_preview.text() == "Example: 2026-08-20_1234_3f9c2a7b.mp4"
    with qtbot.waitSignal(dialog.settings_accepted) as blocker:
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    saved, key_change = blocker.args
    assert key_change == KeyChange("keep")
    store.save(saved)
    loaded = SettingsStore(store.path).load()
    assert loaded.base_url == "http://127.0.0.1:8080"
    assert Path(loaded.output_dir) == out
    assert loaded.naming_template == "{date}_{seed}_{job}"
    assert loaded.max_in_flight == 7 and loaded.demo_mode is False and loaded.notify_on_completion is False
    again = make(qtbot, loaded)
    assert again.base_url.text() == "http://127.0.0.1:8080" and again.in_flight.value() == 7
    assert again.demo_mode.currentData() is False and not again.notify.isChecked()


@pytest.mark.parametrize(("url", "message"), [
    ("http://api.example.com", "must use https"),
    ("ftp://api.example.com", "must start with https://"),
    ("not a url", "must start with https://"),
    ("https://api.example.com/?a=1", "without '?'"),
])
def test_invalid_base_url_message(qtbot, url, message) -> None:
    dialog = make(qtbot, Settings())
    dialog.base_url.setText(url)
    assert message in dialog.base_url_message.text()
    assert dialog.base_url_message.isVisibleTo(dialog)
    assert not ok_button(dialog).isEnabled() and not dialog.check_button.isEnabled()
    dialog.base_url.setText("http://localhost:9000")  # loopback may use plain http
    assert dialog.base_url_message.text() == "" and ok_button(dialog).isEnabled()
    assert dialog.check_button.isEnabled()


def test_bad_template_and_folder_messages(qtbot) -> None:
    dialog = make(qtbot, Settings())
    dialog.template.setText("{nope}")
    assert "Unknown placeholder {nope}" in dialog.template_message.text()
    dialog.template.setText("{job}")
    dialog.output_dir.setText("relative/folder")
    assert "full path" in dialog.output_message.text()
    assert not ok_button(dialog).isEnabled()


def all_visible_text(dialog: SettingsDialog) -> list[str]:
    texts = []
    for edit in dialog.findChildren(QLineEdit):
        texts += [edit.text(), edit.placeholderText(), edit.toolTip(), edit.displayText()]
    for label in dialog.findChildren(QLabel):
        texts += [label.text(), label.toolTip(), label.accessibleName()]
    for button in dialog.findChildren(QAbstractButton):
        texts += [button.text(), button.toolTip()]
    return texts


def test_saved_key_is_never_shown_in_plain_text(qtbot, tmp_path) -> None:
    secrets = SecretStore(file_path=tmp_path / "key", environ={})
    secrets.set_key(SECRET, "session")
    dialog = make(qtbot, Settings(), secret_store=secrets, secure_backend=None)
    assert dialog.key_edit.placeholderText() == "•••• kept for this session only"
    dialog.show_key.setChecked(True)  # "Show" must not reveal the saved key
    for text in all_visible_text(dialog):
        assert SECRET not in text and SECRET[-8:] not in text
    assert dialog.key_change() == KeyChange("keep")
    assert SECRET not in repr(dialog.key_change())


def test_show_reveals_only_what_is_typed(qtbot) -> None:
    dialog = make(qtbot, Settings(), key_storage="keyring")
    assert dialog.key_edit.placeholderText() == "•••• saved in system keyring"
    dialog.key_edit.setText("sk-new-key")
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.show_key.setChecked(True)
    assert dialog.key_edit.displayText() == "sk-new-key"
    change = dialog.key_change()
    assert change == KeyChange("set", "sk-new-key", "keyring")
    assert "sk-new-key" not in repr(change)


def test_no_secure_store_needs_explicit_file_consent(qtbot, tmp_path) -> None:
    dialog = make(qtbot, Settings(), secure_backend=False, key_file=tmp_path / "api-key")
    assert "No secure credential store" in dialog.storage_warning.text()
    assert dialog.session_radio.isChecked()
    dialog.key_edit.setText("sk-abc")
    assert dialog.key_change() == KeyChange("set", "sk-abc", "session")
    dialog.file_radio.setChecked(True)
    assert "Tick the box" in dialog.key_message.text() and not ok_button(dialog).isEnabled()
    dialog.file_consent.setChecked(True)
    assert ok_button(dialog).isEnabled()
    assert dialog.key_change() == KeyChange("set", "sk-abc", "file", consent=True)
    assert dialog.settings().allow_plaintext_key_file is True


def test_remove_saved_key(qtbot) -> None:
    dialog = make(qtbot, Settings(), key_storage="keyring")
    qtbot.mouseClick(dialog.remove_key, Qt.MouseButton.LeftButton)
    assert dialog.key_change() == KeyChange("delete")
    assert "will be removed" in dialog.key_edit.placeholderText()


def test_check_key_round_trip(qtbot) -> None:
    dialog = make(qtbot, Settings(), key_storage="keyring")
    dialog.key_edit.setText("sk-typed")
    with qtbot.waitSignal(dialog.check_key_requested) as blocker:
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["https://api.modellix.ai", "sk-typed"]
    assert not dialog.check_button.isEnabled()
    dialog.show_key_check(True, 12.5, "")
    assert dialog.check_status.text() == "Key accepted. Balance: $12.50"
    dialog.show_key_check(False, None, "The key was rejected. Check that it was copied completely.")
    assert "rejected" in dialog.check_status.text() and dialog.check_button.isEnabled()


def test_keyboard_access(qtbot) -> None:
    dialog = make(qtbot, Settings(), secure_backend=False)
    texts = [w.text() for w in dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton)]
    keys = [t[t.index("&") + 1].lower() for t in texts if "&" in t]
    assert len(keys) == len(set(keys)) >= 10, texts
    for label in dialog.findChildren(QLabel):
        if "&" in label.text():
            assert label.buddy() is not None, label.text()
    for edit in dialog.findChildren(QLineEdit):
        if edit.isVisibleTo(dialog) and not isinstance(edit.parent(), type(dialog.in_flight)):
            assert edit.accessibleName(), edit
