"""The job details pane: everything about the selected job, next to the player.

Why: a failure used to live in a hover tooltip only. Here the reason is in plain words with
what to do next (and a button that does it), followed by what a person needs to check or
share: the state history with times, cost (``core.cost``), task id, output path and sidecar
with copy buttons, the inputs and the request as chosen (``core.job_view``, no signed URLs).
The pane reads nothing from disk and never talks to the engine: it shows a ``Job`` and offers
the queue panel's own actions.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from seedance_desktop.core.cost import CostText
from seedance_desktop.core.engine.allowed import Action
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.job_view import display_request, suggested_action
from seedance_desktop.core.outputs import sidecar_path
from seedance_desktop.core.timing import server_time
from seedance_desktop.ui.queue.row_text import breakable, format_elapsed, format_window

#: The panel action that carries out each suggested next step, and what it means here.
NEXT_STEP: dict[Action, tuple[str, str]] = {
    Action.SEND: ("send", "It is held: the command that queued it stopped before sending it. "
                          "“Send now” sends it."),
    Action.REDOWNLOAD: ("redownload", "The video was made and billed; “Download again” fetches it with fresh "
                                      "links, at no new charge."),
    Action.SUBMIT_AGAIN: ("submit_again", "The submission may have reached Modellix. Check your Modellix "
                                          "dashboard; if the task is not there, use “Submit again…”."),
    Action.RETRY: ("retry", "Fix what the reason names (“Duplicate into form” copies the recipe into the form), "
                            "or use “Retry” to send it again as a new paid attempt."),
}


def when(epoch: float | None) -> str:
    return _dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S") if epoch else "–"


def what_to_do(job: Job) -> str:
    """The next step in the window's words (empty when there is nothing to do)."""
    action = suggested_action(job)
    if action is not None:
        if action is Action.RETRY and job.state is JobState.CANCELLED:
            return "It was cancelled before anything was sent. “Retry” queues it again."
        return NEXT_STEP[action][1]
    if not job.state.is_final:
        return "Nothing to do: it continues by itself, also after the app is closed and opened again."
    return ""


class CopyButton(QPushButton):
    """"Copy" that puts a value on the clipboard and says so for a moment."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__("Copy", parent)
        self.value = ""
        self.base_text = "Copy"
        self.setToolTip(f"Copy the {what} to the clipboard")
        self.setAccessibleName(f"Copy {what}")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.value)
        self.setText("Copied")
        # With the button as the timer's context: a pane closed within 1.5 s takes the timer along.
        QTimer.singleShot(1500, self, lambda: self.setText(self.base_text))


class _Value(QWidget):
    """A selectable value, elided by the layout, with optional buttons after it."""

    def __init__(self, name: str, parent: QWidget | None = None, *, copy: bool = False) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        self.label.setAccessibleName(name)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.copy = CopyButton(name.lower(), self) if copy else None
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addWidget(self.label, 1)
        if self.copy is not None:
            self.layout_.addWidget(self.copy)

    def set(self, text: str, value: str | None = None) -> None:
        self.label.setText(breakable(text))  # a long path wraps; Copy copies it as it is
        self.label.setToolTip(text if len(text) > 40 else "")
        if self.copy is not None:
            self.copy.value = value if value is not None else text
            self.copy.setVisible(bool(self.copy.value))


class JobDetailsPane(QScrollArea):
    """See the module docstring. ``actions``: the queue panel's job actions by name (their
    enabled state already follows ``core.engine.allowed``); ``reveal``: the panel's reveal."""

    def __init__(self, actions: dict[str, QAction], *, reveal: Callable[[], None] | None = None,
                 cost: Callable[[Job], CostText] | None = None, time_scale: Callable[[], float] = lambda: 1.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # Everything wraps to the pane's width (``breakable`` for ids, paths and error codes):
        # a sideways scroll bar at 1024 px hid the Copy buttons behind it.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Job details")
        self._actions = actions
        self._cost = cost
        self._time_scale = time_scale
        self.job: Job | None = None
        body = QWidget(self)
        self.setWidget(body)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(8, 8, 8, 8)

        self.empty = QLabel("Select a job in the queue to see its details.", body)
        self.empty.setEnabled(False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.empty)

        self.content = QWidget(body)
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(self.content)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setAccessibleName("Job state and prompt")
        layout.addWidget(self.title)

        # The reason (in plain words) and what to do, with the button that does it.
        self.problem = QFrame(self.content)
        self.problem.setObjectName("problemBox")
        self.problem.setFrameShape(QFrame.Shape.StyledPanel)
        problem_layout = QVBoxLayout(self.problem)
        self.reason = QLabel(self.problem)
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.setAccessibleName("Failure reason")
        self.advice = QLabel(self.problem)
        self.advice.setWordWrap(True)
        self.advice.setAccessibleName("What to do")
        buttons = QHBoxLayout()
        self.next_button = QPushButton(self.problem)
        self.next_button.clicked.connect(self._do_next)
        self.copy_reason = CopyButton("reason", self.problem)
        self.copy_reason.base_text = "Copy reason"
        self.copy_reason.setText("Copy reason")
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_reason)
        problem_layout.addWidget(self.reason)
        problem_layout.addWidget(self.advice)
        problem_layout.addLayout(buttons)
        layout.addWidget(self.problem)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.fields: dict[str, _Value] = {}
        for key, label, copy in (("state", "State", False), ("cost", "Cost", False), ("job_id", "Job id", True),
                                 ("task_id", "Task id", True), ("model", "Model", False),
                                 ("output", "Output", True), ("sidecar", "Sidecar", True),
                                 ("last_frame", "Last frame", True), ("attempt_of", "Attempt of", False)):
            value = _Value(label, self.content, copy=copy)
            self.fields[key] = value
            form.addRow(label, value)
        self.reveal_button = QPushButton("Reveal in folder", self.content)
        self.reveal_button.setToolTip("Open the folder that holds the video in the file manager")
        if reveal is not None:
            self.reveal_button.clicked.connect(reveal)
        self.fields["output"].layout_.addWidget(self.reveal_button)
        self._form = form
        layout.addLayout(form)
        # The studio's actions on a finished result (enabled by the panel with the others).
        studio = QHBoxLayout()
        self.studio_buttons: dict[str, QToolButton] = {}
        for name in ("continue", "compare"):
            action = actions.get(name)
            if action is not None:
                button = QToolButton(self.content)
                button.setDefaultAction(action)
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
                self.studio_buttons[name] = button
                studio.addWidget(button)
        studio.addStretch(1)
        layout.addLayout(studio)

        layout.addWidget(self._heading("History"))
        self.history = QLabel(self.content)
        self.history.setTextFormat(Qt.TextFormat.RichText)
        self.history.setWordWrap(True)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.history.setAccessibleName("State history")
        layout.addWidget(self.history)

        layout.addWidget(self._heading("Inputs"))
        self.inputs = QLabel(self.content)
        self.inputs.setWordWrap(True)
        self.inputs.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.inputs.setAccessibleName("Inputs")
        layout.addWidget(self.inputs)

        request_head = QHBoxLayout()
        request_head.addWidget(self._heading("Request"))
        request_head.addStretch(1)
        self.copy_request = CopyButton("request", self.content)
        request_head.addWidget(self.copy_request)
        layout.addLayout(request_head)
        self.request = QPlainTextEdit(self.content)
        self.request.setReadOnly(True)
        self.request.setAccessibleName("Request")
        self.request.setMinimumHeight(90)
        self.request.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout.addWidget(self.request, 1)
        outer.addWidget(self.content, 1)
        self.show_job(None)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>")
        label.setContentsMargins(0, 6, 0, 0)
        return label

    # -- public ----------------------------------------------------------------------------------
    def show_job(self, job: Job | None) -> None:
        """Show ``job`` (None: the hint to select one)."""
        self.job = job
        self.empty.setVisible(job is None)
        self.content.setVisible(job is not None)
        if job is None:
            return
        colour = {JobState.DONE: "#2e7d32", JobState.FAILED: "#c62828", JobState.OUTCOME_UNKNOWN: "#ef6c00",
                  JobState.EXPIRED: "#8d6e63"}.get(job.state, "")
        state = html.escape(job.state.label if not job.held or job.state is not JobState.QUEUED else "Held")
        styled = f"<span style='color:{colour}'>{state}</span>" if colour else state
        prompt = html.escape(breakable(" ".join(job.prompt.split())[:300])) or "<i>no prompt</i>"
        self.title.setText(f"<b>{styled}</b> · {prompt}")
        self._show_problem(job)
        self._show_fields(job)
        self.history.setText(self._history_html(job))
        self.inputs.setText(self._inputs_text(job))
        request = json.dumps(display_request(job), indent=2, ensure_ascii=False)
        if self.request.toPlainText() != request:
            self.request.setPlainText(request)
        self.copy_request.value = request

    def refresh(self) -> None:
        self.show_job(self.job)

    # -- parts -----------------------------------------------------------------------------------
    def _show_problem(self, job: Job) -> None:
        advice = what_to_do(job)
        reason = job.error or (job.held if job.held and job.state is JobState.QUEUED else "")
        show = bool(reason) or job.state in (JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED)
        self.problem.setVisible(show)
        if not show:
            return
        error = job.state in (JobState.FAILED, JobState.OUTCOME_UNKNOWN, JobState.EXPIRED)
        background, border = ("#ffebee", "#ef9a9a") if error else ("#fff8e1", "#ffe082")
        self.problem.setStyleSheet(f"QFrame#problemBox {{ background: {background}; border: 1px solid {border}; "
                                   "border-radius: 4px; } QFrame#problemBox QLabel { color: #212121; }")
        self.reason.setText(f"<b>What happened:</b> {html.escape(breakable(reason or 'No reason was given.'))}")
        self.copy_reason.value = reason
        self.advice.setText(f"<b>What to do:</b> {html.escape(advice)}" if advice else "")
        self.advice.setVisible(bool(advice))
        action = suggested_action(job)
        name = NEXT_STEP[action][0] if action is not None else ""
        qaction = self._actions.get(name)
        self.next_button.setVisible(qaction is not None)
        if qaction is not None:
            self.next_button.setText(qaction.text())
            self.next_button.setEnabled(qaction.isEnabled())

    def _show_fields(self, job: Job) -> None:
        f = self.fields
        server = server_time(job, _dt.datetime.now().timestamp(), time_scale=self._time_scale())
        state = job.state.label
        if server is not None:
            usual = format_window(server.usual_from, server.usual_to)
            state += (f", {format_elapsed(server.elapsed)} since it was sent (usually {usual}"
                      f"{'; this one takes longer' if server.overdue else ''})")
        f["state"].set(state)
        f["cost"].set(self._cost(job).long if self._cost is not None else "–")
        f["job_id"].set(job.id)
        f["task_id"].set(job.task_id or "– (none: not accepted by Modellix)", job.task_id or "")
        f["model"].set(job.model)
        if job.video_path:
            done = job.state is JobState.DONE
            f["output"].set(job.video_path if done else f"{job.video_path} (not there yet)", job.video_path)
            f["sidecar"].set(str(sidecar_path(job.video_path)) if done else "–",
                             str(sidecar_path(job.video_path)) if done else "")
        else:
            # A failed, cancelled or expired job never downloads: no promise of a path.
            ended = job.state.is_final and job.state is not JobState.DONE
            f["output"].set("– (none: no video was downloaded)" if ended
                            else "– (chosen when the result is downloaded)", "")
            f["sidecar"].set("–", "")
        self.reveal_button.setVisible(bool(job.video_path) and job.state is JobState.DONE)
        f["last_frame"].set(job.last_frame_path or "–", job.last_frame_path or "")
        f["attempt_of"].set(job.attempt_of[:12] if job.attempt_of else "–")
        for key in ("last_frame", "attempt_of"):
            self._set_row_visible(key, bool(getattr(job, {"last_frame": "last_frame_path"}.get(key, key))))

    def _set_row_visible(self, key: str, visible: bool) -> None:
        self._form.setRowVisible(self.fields[key], visible)

    @staticmethod
    def _history_html(job: Job) -> str:
        rows = []
        for t in job.history:
            reason = html.escape(breakable(t.reason)) if t.reason else ""
            rows.append(f"<tr><td style='padding-right:8px; white-space:nowrap'>{when(t.at)}</td>"
                        f"<td style='padding-right:8px'><b>{html.escape(t.new.label)}</b></td><td>{reason}</td></tr>")
        return "<table>" + "".join(rows) + "</table>" if rows else "–"

    @staticmethod
    def _inputs_text(job: Job) -> str:
        if not job.inputs:
            return "None (text prompt only)."
        from seedance_desktop.core.prepare import input_label  # PyAV behind it: not at start-up
        lines = []
        for item in sorted(job.inputs, key=lambda i: (i.field, i.index)):
            label = input_label(job.model, item.field, item.index, item.local_path)
            line = f"{label}: {item.local_path}"
            if item.prepared_note:
                line += f"\n    {item.prepared_note}"
            lines.append(line)
        return breakable("\n".join(lines))

    def _do_next(self) -> None:
        action = suggested_action(self.job) if self.job is not None else None
        qaction = self._actions.get(NEXT_STEP[action][0]) if action is not None else None
        if qaction is not None:
            qaction.trigger()


__all__ = ["CopyButton", "JobDetailsPane", "NEXT_STEP", "what_to_do"]
