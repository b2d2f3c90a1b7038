"""The settings dialog: API key and where it is kept, base URL, output folder and naming,
tasks in flight, demo mode and notifications.

The dialog only edits values: it never writes the settings file or the keyring (that I/O may
block, so the caller saves through the controller's worker thread). It never receives the saved
key either, so it cannot show it: a saved key appears only as a masked placeholder, and "Show"
reveals nothing but what is being typed now. On accept, ``settings()`` is the edited
``Settings`` and ``key_change()`` says what to do with the key.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QPushButton, QRadioButton, QSpinBox, QVBoxLayout, QWidget,
)

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.errors import ConfigurationError
from seedance_desktop.api.urls import check_base_url
from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import Job
from seedance_desktop.core.outputs import PLACEHOLDERS, render_name
from seedance_desktop.core.secrets import SecretStore
from seedance_desktop.core.settings import MAX_IN_FLIGHT_RANGE, Settings
from seedance_desktop.ui.spend.budget_settings import BudgetSettingsBox
from seedance_desktop.ui.style import MessageLabel, hint_label

KeyAction = Literal["keep", "set", "delete"]
KeyStorage = Literal["keyring", "file", "session"]

_SAVED_WHERE = {
    "keyring": "saved in system keyring",
    "file": "saved in a private file",
    "session": "kept for this session only",
    "env": "from $MODELLIX_API_KEY",
}
_DEMO_CHOICES: tuple[tuple[str, bool | None], ...] = (
    ("Automatic: demo until a key is added", None),
    ("Always demo (simulated, free)", True),
    ("Never: use my Modellix account", False),
)
_SAMPLE_JOB = Job(
    id="3f9c2a7be1d04c55", model=DEFAULT_MODEL,
    request={"prompt": "A paper boat sails through a rainy street", "seed": 1234, "ratio": "16:9", "resolution": "720p"},
)


@dataclass(frozen=True)
class KeyChange:
    """What the caller should do with the key after the dialog was accepted."""

    action: KeyAction = "keep"
    key: str | None = field(default=None, repr=False)  # never in a repr or a log line
    storage: KeyStorage | None = None
    consent: bool = False  # the user ticked "store it in a 0600 file"


class SettingsDialog(QDialog):
    """Signals: ``check_key_requested(base_url, key)`` (an empty key means "check the saved
    key"); ``settings_accepted(Settings, KeyChange)`` on OK. Slot: ``show_key_check``."""

    check_key_requested = Signal(str, str)
    settings_accepted = Signal(object, object)

    def __init__(
        self,
        settings: Settings,
        *,
        secret_store: SecretStore | None = None,
        key_storage: str | None = None,
        secure_backend: bool | None = None,
        key_file: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setModal(True)
        if secret_store is not None:
            # Prefer passing key_storage/secure_backend precomputed in a worker: these read the
            # keyring, which can be slow on some desktops.
            if key_storage is None:
                key_storage = secret_store.storage_kind
            if secure_backend is None:
                secure_backend = secret_store.secure_backend_available()
            key_file = key_file or secret_store.file_path
        self._original = settings
        self._saved_storage = key_storage
        self._secure = bool(secure_backend)
        self._delete = False
        self._checking = False

        # --- account -----------------------------------------------------------------------
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setClearButtonEnabled(True)
        self.show_key = QCheckBox("Sho&w", self)
        self.show_key.setToolTip("Show the key you are typing now (a saved key is never shown)")
        self.remove_key = QPushButton("&Remove saved key", self)
        self.remove_key.setEnabled(key_storage in ("keyring", "file", "session"))
        self.check_button = QPushButton("&Check key", self)
        self.check_status = MessageLabel(self, kind="ok")
        self.storage_warning = MessageLabel(self, kind="warning")
        self.session_radio = QRadioButton("Keep the key for this session onl&y", self)
        self.file_radio = QRadioButton("Save it to a &file readable only by you (0600)", self)
        self.file_consent = QCheckBox(
            f"I understand the key is stored unencrypted in {key_file or 'the app config folder'}", self)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.show_key)
        key_row.addWidget(self.remove_key)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.check_status, 1)
        check_row.addStretch(0)
        account = QGroupBox("Modellix account", self)
        account_form = QFormLayout(account)
        key_box = QVBoxLayout()
        key_box.addLayout(key_row)
        key_box.addLayout(check_row)
        if self._secure:
            key_box.addWidget(hint_label("A new key is saved in the system keyring.", account))
            for w in (self.session_radio, self.file_radio, self.file_consent):
                w.hide()
        else:
            self.storage_warning.set_message(
                "No secure credential store (keyring) is available on this system. Keep the key "
                "for this session only, or save it to a private file that is NOT encrypted.", "warning")
            choices: tuple[QWidget, ...] = (self.storage_warning, self.session_radio, self.file_radio, self.file_consent)
            for choice in choices:
                key_box.addWidget(choice)
            self.file_radio.setChecked(key_storage == "file")
            self.session_radio.setChecked(key_storage != "file")
            self.file_consent.setChecked(key_storage == "file" or settings.allow_plaintext_key_file)
        self.key_message = MessageLabel(account)
        key_box.addWidget(self.key_message)
        key_label = QLabel("API &key:", account)
        key_label.setBuddy(self.key_edit)
        account_form.addRow(key_label, key_box)

        # --- connection and output ------------------------------------------------------------
        self.base_url = QLineEdit(settings.base_url, self)
        self.base_url.setAccessibleName("API base URL")
        self.base_url_message = MessageLabel(self)
        self.output_dir = QLineEdit(str(settings.output_dir), self)
        self.output_dir.setAccessibleName("Output folder")
        self.browse_button = QPushButton("&Browse…", self)
        self.output_message = MessageLabel(self)
        self.template = QLineEdit(settings.naming_template, self)
        self.template.setAccessibleName("File naming template")
        self.template_preview = QLabel(self)
        self.template_preview.setAccessibleName("File name preview")
        self.template_message = MessageLabel(self)
        self.in_flight = QSpinBox(self)
        self.in_flight.setRange(*MAX_IN_FLIGHT_RANGE)
        self.in_flight.setValue(max(MAX_IN_FLIGHT_RANGE[0], min(MAX_IN_FLIGHT_RANGE[1], settings.max_in_flight)))
        self.in_flight.setAccessibleName("Tasks in flight")
        self.demo_mode = QComboBox(self)
        for text, value in _DEMO_CHOICES:
            self.demo_mode.addItem(text, value)
        self.demo_mode.setCurrentIndex([v for _, v in _DEMO_CHOICES].index(settings.demo_mode))
        self.demo_mode.setAccessibleName("Demo mode")
        self.notify = QCheckBox("&Notify when a video is ready (while the window is in the background)", self)
        self.notify.setChecked(settings.notify_on_completion)

        general = QGroupBox("Generation", self)
        form = QFormLayout(general)
        url_box = QVBoxLayout()
        url_box.addWidget(self.base_url)
        url_box.addWidget(self.base_url_message)
        self._row(form, "API &URL:", self.base_url, url_box)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.output_dir, 1)
        folder_row.addWidget(self.browse_button)
        folder_box = QVBoxLayout()
        folder_box.addLayout(folder_row)
        folder_box.addWidget(self.output_message)
        self._row(form, "&Output folder:", self.output_dir, folder_box)
        template_box = QVBoxLayout()
        template_box.addWidget(self.template)
        template_box.addWidget(self.template_preview)
        template_box.addWidget(hint_label("Placeholders: " + " ".join("{" + p + "}" for p in PLACEHOLDERS), general))
        template_box.addWidget(self.template_message)
        self._row(form, "File na&mes:", self.template, template_box)
        spin_row = QHBoxLayout()
        spin_row.addWidget(self.in_flight)
        spin_row.addWidget(hint_label("jobs processed by Modellix at the same time", general), 1)
        self._row(form, "&Tasks in flight:", self.in_flight, spin_row)
        self._row(form, "&Demo mode:", self.demo_mode, self.demo_mode)
        form.addRow("", self.notify)

        self.budget = BudgetSettingsBox(settings.daily_cap, settings.monthly_cap, settings.prices, self)
        self.budget_message = MessageLabel(self, kind="error")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        layout = QVBoxLayout(self)
        layout.addWidget(account)
        layout.addWidget(general)
        layout.addWidget(self.budget)
        layout.addWidget(self.budget_message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.show_key.toggled.connect(self._on_show)
        self.remove_key.clicked.connect(self._on_remove)
        self.check_button.clicked.connect(self._on_check)
        self.browse_button.clicked.connect(self._browse)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.key_edit, self.base_url, self.output_dir, self.template, self.budget.daily, self.budget.monthly):
            edit.textChanged.connect(self._revalidate)
        self.budget.table.itemChanged.connect(self._revalidate)
        for box in (self.session_radio, self.file_radio, self.file_consent):
            box.toggled.connect(self._revalidate)
        self._update_placeholder()
        self._revalidate()

    @staticmethod
    def _row(form: QFormLayout, text: str, buddy: QWidget, field_: QWidget | QHBoxLayout | QVBoxLayout) -> None:
        label = QLabel(text)
        label.setBuddy(buddy)
        form.addRow(label, field_)

    # ----- key ------------------------------------------------------------------------------
    def _update_placeholder(self) -> None:
        if self._delete:
            text = "No key: the saved key will be removed"
        elif self._saved_storage in _SAVED_WHERE:
            text = f"•••• {_SAVED_WHERE[self._saved_storage]}"
        else:
            text = "Paste your Modellix API key"
        self.key_edit.setPlaceholderText(text)
        self.key_edit.setToolTip("Typing a key replaces the saved one." if self._saved_storage else "")

    def _on_show(self, shown: bool) -> None:
        # Only ever reveals the field's own text, which is what is typed now (never the saved key).
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_edit.setEchoMode(mode)

    def _on_remove(self) -> None:
        self._delete = True
        self.key_edit.clear()
        self.remove_key.setEnabled(False)
        self._update_placeholder()

    def _on_check(self) -> None:
        self.check_status.set_message("Checking…", "ok")
        self._checking = True
        self.check_button.setEnabled(False)
        self.check_key_requested.emit(self.base_url.text().strip(), self.key_edit.text().strip())

    @Slot(bool, float, str)
    def show_key_check(self, ok: bool, balance: float | None, message: str) -> None:
        self._checking = False
        self._revalidate()
        if ok:
            text = message or ("Key accepted." + (f" Balance: {usd(balance)}" if balance is not None else ""))
            self.check_status.set_message(text, "ok")
        else:
            self.check_status.set_message(message or "The key was rejected.", "error")

    #: The name the app's controller wiring looks for.
    set_key_result = show_key_check

    def key_change(self) -> KeyChange:
        typed = self.key_edit.text().strip()
        if typed:
            if self._secure:
                return KeyChange("set", typed, "keyring")
            if self.file_radio.isChecked():
                return KeyChange("set", typed, "file", consent=self.file_consent.isChecked())
            return KeyChange("set", typed, "session")
        if self._delete:
            return KeyChange("delete")
        return KeyChange("keep")

    # ----- other settings -------------------------------------------------------------------
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for finished videos", self.output_dir.text())
        if folder:
            self.output_dir.setText(folder)

    def settings(self) -> Settings:
        """The edited settings (a copy; the one passed in is not modified)."""
        daily, monthly = self.budget.caps() if not self.budget.problems() else (self._original.daily_cap,
                                                                                  self._original.monthly_cap)
        return dataclasses.replace(
            self._original,
            base_url=self.base_url.text().strip(),
            output_dir=Path(self.output_dir.text().strip()).expanduser(),
            naming_template=self.template.text(),
            max_in_flight=self.in_flight.value(),
            demo_mode=self.demo_mode.currentData(),
            notify_on_completion=self.notify.isChecked(),
            daily_cap=daily,
            monthly_cap=monthly,
            prices=self.budget.prices() if not self.budget.problems() else self._original.prices,
            allow_plaintext_key_file=self._original.allow_plaintext_key_file
            or (not self._secure and self.file_radio.isChecked() and self.file_consent.isChecked()),
        )

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        try:
            check_base_url(self.base_url.text())
        except ConfigurationError as error:
            found["base_url"] = error.user_message
        folder = self.output_dir.text().strip()
        if not folder:
            found["output_dir"] = "Choose a folder for finished videos."
        candidate = dataclasses.replace(self._original, output_dir=Path(folder or "."), naming_template=self.template.text())
        for name in ("output_dir", "naming_template"):
            if name in found:
                continue
            problem = candidate.problems().get(name)
            if problem:
                found[name] = problem
        if not self._secure and self.key_edit.text().strip() and self.file_radio.isChecked() \
                and not self.file_consent.isChecked():
            found["key"] = "Tick the box to confirm storing the key in an unencrypted file, or keep it for this session."
        found.update(self.budget.problems())
        return found

    def _revalidate(self) -> None:
        found = self.problems()
        self.base_url_message.set_message(found.get("base_url", ""), "error")
        self.output_message.set_message(found.get("output_dir", ""), "error")
        self.template_message.set_message(found.get("naming_template", ""), "error")
        self.key_message.set_message(found.get("key", ""), "error")
        self.budget_message.set_message(" ".join(v for k, v in found.items() if k in ("daily_cap", "monthly_cap", "prices")), "error")
        self.file_consent.setEnabled(self.file_radio.isChecked())
        if "naming_template" in found:
            self.template_preview.setText("")
        else:
            stem = render_name(self.template.text(), _SAMPLE_JOB, _dt.datetime(2026, 8, 20, 10, 0, 0))
            self.template_preview.setText(f"Example: {stem}.mp4")
        self.check_button.setEnabled(not self._checking and "base_url" not in found)
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setEnabled(not found)
        ok_button.setToolTip("\n".join(found.values()))

    def accept(self) -> None:
        if self.problems():
            return
        self.settings_accepted.emit(self.settings(), self.key_change())
        super().accept()


__all__ = ["KeyChange", "SettingsDialog"]
