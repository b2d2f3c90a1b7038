"""The Help menu's windows: About, Keyboard shortcuts and "Where is my data".

The shortcuts list is read from the window's live ``QAction``s and ``QShortcut``s each time it
opens, so it can never drift from what the keys really do (a hand-typed copy would).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop import __version__

LINKS = (
    ("Modellix", "https://modellix.ai"),
    ("Qt for Python (PySide6)", "https://doc.qt.io/qtforpython-6/"),
    ("PyAV (FFmpeg)", "https://pyav.basswood-io.com/"),
)
LICENCES = (
    "Seedance Desktop is free software under the GNU GPL, version 3 or later.",
    "It uses Qt and PySide6 (LGPL v3), FFmpeg with x264 through PyAV (GPL; PyAV: BSD), "
    "httpx (BSD), aiohttp (Apache 2.0), qasync (BSD), platformdirs (MIT), keyring (MIT) and NumPy (BSD).",
)


@dataclass(frozen=True)
class ShortcutRow:
    keys: str      # in the platform's notation, e.g. "Ctrl+Q"
    what: str      # the action's words, without the "&" mnemonic markers
    where: str     # "Everywhere", or the part of the window it works in


def _clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def collect_shortcuts(window: QWidget) -> list[ShortcutRow]:
    """Every key the window answers to, from its QActions (menus, toolbar, panels) and its
    QShortcuts (the player's), one row per key sequence, sorted by what they do."""
    rows: dict[tuple[str, str], ShortcutRow] = {}
    for action in window.findChildren(QAction):
        text = _clean(action.text() or action.toolTip())
        if not text or action.isSeparator():
            continue
        # Window-wide actions work everywhere; a panel's own actions only where that panel is.
        window_wide = action.shortcutContext() in (Qt.ShortcutContext.WindowShortcut,
                                                   Qt.ShortcutContext.ApplicationShortcut)
        where = "Everywhere" if window_wide else _where(action.parent())
        for sequence in action.shortcuts():
            keys = sequence.toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.setdefault((keys, text), ShortcutRow(keys, text, where))
    for shortcut in window.findChildren(QShortcut):
        text = _clean(shortcut.whatsThis())
        keys = shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)
        if text and keys:
            rows.setdefault((keys, text), ShortcutRow(keys, text, _where(shortcut.parent())))
    return sorted(rows.values(), key=lambda r: (r.where != "Everywhere", r.where, r.what.lower(), r.keys))


def _where(obj: object) -> str:
    """The part of the window an object belongs to, by its class (Player, QueuePanel...)."""
    node = obj
    while node is not None:
        name = type(node).__name__
        if name == "Player":
            return "Player"
        if name == "QueuePanel":
            return "Queue (when it has focus)"
        if name == "RequestForm":
            return "Form"
        node = node.parent() if hasattr(node, "parent") else None
    return "Everywhere"


class ShortcutsDialog(QDialog):
    def __init__(self, rows: Iterable[ShortcutRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = list(rows)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, item in enumerate(rows):
            for column, text in enumerate((item.keys, item.what, item.where)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 480)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Seedance Desktop")
        links = " · ".join(f'<a href="{url}">{name}</a>' for name, url in LINKS)
        self.label = QLabel(
            f"<h3>Seedance Desktop {__version__}</h3>"
            "<p>A desktop client for Seedance 2.0 video generation through the Modellix API.</p>"
            f"<p>Python {sys.version.split()[0]} · Qt {qVersion()} · PySide6 {PYSIDE_VERSION}</p>"
            + "".join(f"<p>{text}</p>" for text in LICENCES)
            + f"<p>{links}</p>", self)
        self.label.setWordWrap(True)
        self.label.setOpenExternalLinks(True)
        self.label.setTextInteractionFlags(self.label.textInteractionFlags()
                                           | self.label.textInteractionFlags().TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.notices_button = buttons.addButton("Third-party &notices…", QDialogButtonBox.ButtonRole.HelpRole)
        self.notices_button.setToolTip("The licences of the libraries inside this app")
        self.notices_button.clicked.connect(self.show_notices)
        self.notices: QPlainTextEdit | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
        self.resize(520, 300)

    def show_notices(self) -> None:
        """The project's licence and the bundled libraries' notices, shipped as package data
        (a few KiB: read when asked, never at start-up)."""
        from seedance_desktop.core.package_data import license_text, third_party_notices

        if self.notices is None:
            self.notices = QPlainTextEdit(self)
            self.notices.setReadOnly(True)
            self.notices.setAccessibleName("Licences and third-party notices")
            self.notices.setPlainText(third_party_notices() + "\n\n" + license_text())
            self.notices.setMinimumHeight(260)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(1, self.notices)
            self.resize(640, 620)
        self.notices.setFocus()


#: Opens a folder in the desktop's file manager; False when nothing could (no file manager).
FolderOpener = Callable[[Path], bool]


def open_folder(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class DataFoldersDialog(QDialog):
    """One row per folder: what it holds, its path (selectable), Copy and Open."""

    def __init__(self, folders: Iterable[tuple[str, Path]], parent: QWidget | None = None,
                 opener: FolderOpener = open_folder) -> None:
        super().__init__(parent)
        self.setWindowTitle("Where is my data")
        self._opener = opener
        grid = QGridLayout()
        self.paths: dict[str, QLineEdit] = {}
        for row, (label, path) in enumerate(folders):
            grid.addWidget(QLabel(f"{label}:", self), row, 0)
            edit = QLineEdit(str(path), self)
            edit.setReadOnly(True)
            edit.setAccessibleName(f"{label} folder")
            edit.setCursorPosition(0)
            edit.setMinimumWidth(360)
            self.paths[label] = edit
            grid.addWidget(edit, row, 1)
            copy = QPushButton("Copy", self)
            copy.setToolTip(f"Copy the {label.lower()} folder's path")
            copy.clicked.connect(lambda _=False, p=path: self.copy(p))
            grid.addWidget(copy, row, 2)
            show = QPushButton("Open", self)
            show.setToolTip(f"Open the {label.lower()} folder in the file manager")
            show.clicked.connect(lambda _=False, p=path: self.open_path(p))
            grid.addWidget(show, row, 3)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Folder message")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel("Seedance Desktop keeps its files here. The job list and the settings are "
                       "plain files: back them up with the rest of your data.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def copy(self, path: Path) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(str(path))
        self.message.setText(f"Copied: {path}")

    def open_path(self, path: Path) -> None:
        if self._opener(path):
            self.message.setText(f"Opened {path}")
            return
        self.copy(path)
        self.message.setText(f"No file manager could open {path} here (it may not exist yet); "
                             "its path was copied to the clipboard.")


__all__ = ["AboutDialog", "DataFoldersDialog", "FolderOpener", "ShortcutRow", "ShortcutsDialog",
           "collect_shortcuts", "open_folder"]
