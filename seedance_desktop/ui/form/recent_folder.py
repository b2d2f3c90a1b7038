"""The folder file dialogs open in: the last one a file was picked from.

Without it every dialog opened in the app's working directory. One object is shared by the
form's media lists and the window's "Add file" / "Open recipe" dialogs; the app puts the folder
into the settings (``Settings.recent_folder``) so the next session starts there too.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal


class RecentFolder(QObject):
    changed = Signal(str)

    def __init__(self, folder: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder = folder

    def folder(self) -> str:
        """Where the next dialog opens ("" lets Qt choose, e.g. the home folder)."""
        return self._folder

    def remember(self, paths: list[str]) -> None:
        """Note the folder of the file(s) just picked (no I/O: dialogs return absolute paths)."""
        if not paths or not paths[0]:
            return
        folder = os.path.dirname(os.path.abspath(paths[0]))
        if folder != self._folder:
            self._folder = folder
            self.changed.emit(folder)
