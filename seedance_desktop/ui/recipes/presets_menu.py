"""The Presets menu: save the form's whole recipe under a name, apply, rename, delete, import
and export (``core.presets`` does the storage and the JSON; this is only the menu).

Applying a preset replaces the form's recipe through the form's own loader (``set_recipe``,
the same path as "Duplicate"), which keeps an undo snapshot of what it replaces, so "Apply
preset" is undone like any other replacement (the form's Undo button or Ctrl+Z).

File I/O runs off the GUI thread through the ``offload`` callable the owner passes in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from seedance_desktop.core.job import InputFile
from seedance_desktop.core.presets import BUILTIN_PRESETS, Preset, PresetStore

#: ``offload(work, then)``: run ``work()`` in a worker thread, then ``then(result)`` on the GUI thread.
Offload = Callable[[Callable[[], Any], Callable[[Any], None]], None]


class RecipeForm(Protocol):
    def recipe(self) -> tuple[str, dict[str, Any], list[InputFile]]: ...
    def set_recipe(self, model: str, request: dict[str, Any], inputs: list[InputFile]) -> None: ...


class PresetsMenu(QMenu):
    def __init__(self, store: PresetStore, form: RecipeForm, offload: Offload, *,
                 notify: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__("P&resets", parent)
        self.store = store
        self.form = form
        self.offload = offload
        self.notify = notify
        #: The built-in ones until :meth:`refresh` (called once the loop runs) reads the file.
        self.presets: list[Preset] = [copy.deepcopy(p) for p in BUILTIN_PRESETS]
        self.setToolTipsVisible(True)
        self.aboutToShow.connect(self._fill)

    def refresh(self) -> None:
        self.offload(self.store.all, self._loaded)

    def _loaded(self, presets: list[Preset]) -> None:
        self.presets = presets

    def _fill(self) -> None:
        self.clear()
        save = self.addAction("&Save current recipe as preset…")
        save.triggered.connect(self.save_current)
        self.addSeparator()
        for preset in self.presets:
            action = QAction(preset.name + ("  (built-in)" if preset.builtin else ""), self)
            action.setToolTip(f"{preset.model}: " + ", ".join(f"{k}={v}" for k, v in preset.request.items() if k != "prompt"))
            action.triggered.connect(lambda _=False, p=preset: self.apply(p))
            self.addAction(action)
        mine = [p for p in self.presets if not p.builtin]
        self.addSeparator()
        rename = self.addMenu("Re&name")
        delete = self.addMenu("&Delete")
        for preset in mine:
            rename.addAction(preset.name).triggered.connect(lambda _=False, p=preset: self.rename(p.name))
            delete.addAction(preset.name).triggered.connect(lambda _=False, p=preset: self.delete(p.name))
        rename.setEnabled(bool(mine))
        delete.setEnabled(bool(mine))
        self.addAction("&Import…").triggered.connect(self.import_file)
        self.addAction("&Export…").triggered.connect(self.export_file)

    def apply(self, preset: Preset) -> None:
        """Load the preset into the form (undoable: the form's loader keeps what it replaced)."""
        self.form.set_recipe(*preset.recipe())
        self.notify(f"Applied preset {preset.name!r}.")

    def save_current(self) -> None:
        name, ok = QInputDialog.getText(self.parentWidget(), "Save preset", "Name of the preset:")
        if not ok or not name.strip():
            return
        model, request, inputs = self.form.recipe()
        preset = Preset(name.strip(), model, request, inputs)
        self.offload(lambda: self.store.save(preset), lambda saved: self._done(f"Saved preset {saved.name!r}."))

    def rename(self, old: str) -> None:
        new, ok = QInputDialog.getText(self.parentWidget(), "Rename preset", f"New name for {old!r}:", text=old)
        if ok and new.strip() and new.strip() != old:
            self.offload(lambda: self.store.rename(old, new), lambda _: self._done(f"Renamed {old!r} to {new.strip()!r}."))

    def delete(self, name: str) -> None:
        self.offload(lambda: self.store.delete(name), lambda _: self._done(f"Deleted preset {name!r}."))

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parentWidget(), "Import presets", "", "Presets (*.json);;All files (*)")
        if path:
            self.offload(lambda: self.store.import_file(path),
                         lambda got: self._done(f"Imported {len(got)} preset(s) from {Path(path).name}."))

    def export_file(self) -> None:
        mine = [p.name for p in self.presets if not p.builtin] or [p.name for p in self.presets]
        path, _ = QFileDialog.getSaveFileName(self.parentWidget(), "Export presets", "presets.json", "Presets (*.json)")
        if path:
            self.offload(lambda: self.store.export_file(mine, path),
                         lambda _: self.notify(f"Exported {len(mine)} preset(s) to {Path(path).name}."))

    def _done(self, message: str) -> None:
        self.notify(message)
        self.refresh()


__all__ = ["Offload", "PresetsMenu", "RecipeForm"]
