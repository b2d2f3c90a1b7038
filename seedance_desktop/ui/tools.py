"""The window's spend, budget, presets, prompt-history and batch features, installed in one call.

:func:`install_tools` adds a Presets menu and a Tools menu (Spend, Batch run, Prompt history,
and the batch group actions for the selected job's batch), the budget bar, and Ctrl+Up/Down in
the prompt box. It only composes modules of their own (``ui.spend``, ``ui.batch``,
``ui.recipes``) over the controller, the form and the settings, so the main window and the
app's composition need one line each. Blocking work (reading the store for the ledger, preset
files, batch files) runs in worker threads through the controller's owned tasks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from seedance_desktop.core import batch, prompt_history
from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import JobState
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.presets import PresetStore, presets_file
from seedance_desktop.ui.batch.batch_dialog import BatchDialog
from seedance_desktop.ui.controller import Controller
from seedance_desktop.ui.recipes.presets_menu import PresetsMenu, RecipeForm
from seedance_desktop.ui.recipes.prompt_history import PromptHistoryDialog, PromptStepping
from seedance_desktop.ui.spend.budget_bar import BudgetBar
from seedance_desktop.ui.spend.spend_view import SpendData, SpendDialog, load_spend

if TYPE_CHECKING:
    from seedance_desktop.ui.main_window import MainWindow


class Form(RecipeForm, Protocol):
    prompt: Any


class Panel(Protocol):
    def selected_job(self) -> Any: ...


class AppLike(Protocol):
    paths: AppPaths
    settings: Any
    controller: Controller
    form: Any
    panel: Any
    window: MainWindow


class Tools:
    """Owns the dialogs and menus (kept as attributes so tests and the README shots reach them)."""

    def __init__(self, app: AppLike) -> None:
        self.app = app
        self.controller = app.controller
        self.window = app.window
        self.form = app.form
        self.balance: float | None = None
        self.spend_dialog: SpendDialog | None = None
        self.batch_dialog: BatchDialog | None = None
        self.history_dialog: PromptHistoryDialog | None = None
        self.presets = PresetsMenu(PresetStore(presets_file(app.paths.config_dir)), self.form, self.offload,
                                   notify=self.notify, parent=self.window)
        bar = self.window.menuBar()
        first = bar.actions()[1] if len(bar.actions()) > 1 else None  # after File
        bar.insertMenu(first, self.presets) if first is not None else bar.addMenu(self.presets)
        tools = self.tools_menu = QMenu("&Tools", self.window)
        bar.insertMenu(self.window.help_menu.menuAction(), tools)  # Help stays last, as everywhere
        self.spend_action = self._action(tools, "&Spend…", "Ctrl+Shift+E", self.open_spend)
        self.batch_action = self._action(tools, "&Batch run…", "Ctrl+Shift+B", self.open_batch)
        self.history_action = self._action(tools, "Prompt &history…", "Ctrl+H", self.open_history)
        group = self.group_menu = tools.addMenu("Selected job's ba&tch")
        for label, action in (("&Pause batch", "pause"), ("&Resume batch", "resume"),
                              ("&Cancel unsent jobs of batch", "cancel"), ("Retry &failed jobs of batch", "retry_failed")):
            group.addAction(label).triggered.connect(lambda _=False, a=action: self.group_action(a))
        self.budget_bar = BudgetBar(self.controller.job, self.window)
        self.window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)  # a line of its own, under the tool bar
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.budget_bar)
        self.budget_bar.send_requested.connect(self.controller.send)
        self.budget_bar.spend_requested.connect(self.open_spend)
        self.controller.job_changed.connect(self.budget_bar.job_changed)
        self.controller.job_added.connect(self.budget_bar.job_changed)
        self.controller.job_removed.connect(self.budget_bar.job_removed)
        self.controller.balance_changed.connect(self._balance)
        self.controller.job_added.connect(lambda _id: self.refresh_prompts())
        self.controller.started.connect(self.refresh_prompts)
        self.controller.started.connect(self.presets.refresh)
        self.controller.started.connect(self._held_at_start)
        self.stepping: PromptStepping | None = None
        self._install_stepping()

    def _action(self, menu: Any, text: str, keys: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # -- plumbing ---------------------------------------------------------------------------------

    def offload(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        async def run() -> None:
            then(await asyncio.to_thread(work))

        self.controller.spawn(run(), "reading or writing a file")

    def notify(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 5000)

    def _prices(self) -> dict[str, dict[str, float]]:
        return dict(getattr(self.app.settings, "prices", None) or {})

    def _balance(self, value: float) -> None:
        self.balance = value
        if self.spend_dialog is not None:
            self.spend_dialog.set_balance(value)

    # -- spend ------------------------------------------------------------------------------------

    def open_spend(self) -> None:
        dialog = self.spend_dialog = SpendDialog(self.window, demo=self.controller.demo)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "spend_dialog", None))
        if self.controller.demo:
            dialog.set_balance(None, "Simulated (demo)")
        else:
            dialog.set_balance(self.balance, "Not readable with this key" if self.balance is None else "")
            self.controller.refresh_mode()  # fetches the balance again when the key can read it
        self.load_spend()
        dialog.show()

    def load_spend(self) -> None:
        store = self.controller.store
        if store is None:
            return
        prices = self._prices()
        self.offload(lambda: load_spend(store.list, prices, time.time()), self._spend_loaded)

    def _spend_loaded(self, data: SpendData) -> None:
        if self.spend_dialog is not None:
            self.spend_dialog.set_data(data)

    def _held_at_start(self) -> None:
        """Jobs the budget held in an earlier session are still held: show them in the bar."""
        store = self.controller.store
        if store is not None:
            self.offload(lambda: [j.id for j in store.list(states=[JobState.QUEUED]) if j.held], self._show_held)

    def _show_held(self, ids: list[str]) -> None:
        for job_id in ids:
            self.budget_bar.job_changed(job_id)

    # -- batch ------------------------------------------------------------------------------------

    def open_batch(self) -> None:
        model, request, inputs = self.form.recipe()
        dialog = self.batch_dialog = BatchDialog(model, request, inputs, prices=self._prices(),
                                                 demo=self.controller.demo, parent=self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "batch_dialog", None))
        dialog.queue_requested.connect(self.queue_batch)
        dialog.import_requested.connect(lambda path: self.import_batch(dialog, path, model))
        store = self.controller.store
        if store is not None:
            from seedance_desktop.runtime.compose import spend_guard  # with the runtime, not at start-up

            guard = spend_guard(store, self.app.settings)
            self.offload(guard.headroom, lambda left: dialog.set_headroom(left) if self.batch_dialog is dialog else None)
        dialog.show()

    def import_batch(self, dialog: BatchDialog, path: str, model: str) -> None:
        prices = self._prices()

        def read() -> batch.BatchPlan | str:
            try:
                return batch.load_file(path, model, overrides=prices)
            except (OSError, UnicodeDecodeError) as exc:
                return f"Could not read {path}: {exc}"

        def show(result: batch.BatchPlan | str) -> None:
            if self.batch_dialog is dialog:
                if isinstance(result, str):
                    dialog.set_file_error(path, result)
                else:
                    dialog.set_file_plan(path, result)

        self.offload(read, show)

    def queue_batch(self, plan: batch.BatchPlan) -> None:
        jobs = self.controller.queue_batch(plan)
        if jobs:
            self.notify(f"Queued a batch of {len(jobs)} jobs (≈ {usd(plan.total_estimate)}, estimate).")

    def group_action(self, action: str) -> None:
        job = self.app.panel.selected_job()
        if job is None or not job.group_id:
            self.controller.error.emit("Select a job of a batch first (batch runs are queued as one group).")
            return
        count = self.controller.group_action(job.group_id, action)
        self.notify(f"{count} job(s) of the batch changed.")

    # -- prompt history ---------------------------------------------------------------------------

    def open_history(self) -> None:
        dialog = self.history_dialog = PromptHistoryDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "history_dialog", None))
        dialog.chosen.connect(self._use_prompt)
        dialog.star_toggled.connect(self._star)
        self._load_history(dialog.set_entries)
        dialog.show()

    def _load_history(self, then: Callable[[list[prompt_history.PromptEntry]], None]) -> None:
        store = self.controller.store
        if store is not None:
            self.offload(lambda: prompt_history.load(store), then)

    def refresh_prompts(self) -> None:
        def keep(entries: list[prompt_history.PromptEntry]) -> None:
            if self.stepping is not None:
                self.stepping.recent = [e.prompt for e in entries]

        self._load_history(keep)

    def _star(self, prompt: str, starred: bool) -> None:
        store = self.controller.store
        if store is not None:
            self.offload(lambda: store.set_prompt_star(prompt, starred), lambda _: None)

    def _use_prompt(self, prompt: str) -> None:
        editor = getattr(self.form, "prompt", None)
        if editor is not None:
            editor.set_text(prompt)

    def _install_stepping(self) -> None:
        # On the form, not on today's prompt box: the form rebuilds its editors for another model.
        if not isinstance(self.form, QWidget):
            return
        form = self.form

        def text() -> str:
            editor = getattr(form, "prompt", None)
            return str(editor.text()) if editor is not None else ""

        def set_text(value: str) -> None:
            editor = getattr(form, "prompt", None)
            if editor is not None:
                editor.set_text(value)

        self.stepping = PromptStepping(form, text, set_text)


def install_tools(app: AppLike) -> Tools:
    return Tools(app)


__all__ = ["Tools", "install_tools"]
