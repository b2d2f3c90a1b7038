"""How the command line prints things: job tables, job details, JSON, progress lines.

Results go to stdout (a table, details, or JSON for scripts); progress and diagnostics go to
stderr, so ``seedance-desktop-cli submit --wait --json ... > result.json`` stays machine-readable
while a person still sees what is happening. Nothing printed here may contain the API key or a
signed URL: every URL is shown through :func:`redact_url` (query string removed).
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from seedance_desktop.api.redact import redact_url
from seedance_desktop.api.spec import get_model
from seedance_desktop.core.cost import estimate_for, estimate_note, job_cost
from seedance_desktop.core.engine.allowed import Action
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.job_view import display_request, suggested_action

#: A progress line per job at most this often (state changes are always printed at once).
PROGRESS_INTERVAL = 0.5


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return _dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def _safe_url(url: str | None) -> str | None:
    return redact_url(url) if url else None


def held_note(job: Job) -> str:
    """What ``list`` and ``show`` say about a held job (empty for any other job)."""
    if not job.held or job.state is not JobState.QUEUED:
        return ""
    return ("held: the command that queued it stopped before sending it; run "
            f"`seedance-desktop-cli send {job.id[:12]}` to send it")


def state_word(job: Job) -> str:
    """The state as ``list`` shows it: "held" for a held queued job."""
    return "held" if held_note(job) else job.state.value


def job_to_dict(job: Job, *, history: bool = True) -> dict[str, Any]:
    """A JSON-safe view of a job for ``--json`` output (no key, no signed query strings)."""
    data: dict[str, Any] = {
        "id": job.id,
        "state": job.state.value,
        "model": job.model,
        "prompt": job.prompt,
        "request": display_request(job),
        "inputs": [
            {"field": i.field, "index": i.index, "local_path": i.local_path, "uploaded": i.uploaded_url is not None,
             "prepared_path": i.prepared_path, "prepared_note": i.prepared_note, **i.edit_fields()}
            for i in job.inputs
        ],
        "task_id": job.task_id,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "submitted_at": job.submitted_at,
        "finished_at": job.finished_at,
        "video_path": job.video_path,
        "last_frame_path": job.last_frame_path,
        "remote_video_url": _safe_url(job.remote_video_url),
        "cost": job.cost,
        "error": job.error,
        "attempt_of": job.attempt_of,
        "held": job.held if held_note(job) else None,
    }
    if history:
        data["history"] = [
            {"at": t.at, "from": t.old.value if t.old else None, "to": t.new.value, "reason": t.reason}
            for t in job.history
        ]
    return data


def print_json(value: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(value, out, indent=2, ensure_ascii=False)
    out.write("\n")
    out.flush()


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def jobs_table(jobs: list[Job], *, demo: bool = False) -> str:
    """A fixed-width table: short id, state, created, resolution/duration, cost, prompt."""
    if not jobs:
        return "No jobs yet. Submit one with: seedance-desktop-cli submit --help"
    rows = [("ID", "STATE", "CREATED", "OUTPUT", "COST", "PROMPT")]
    for job in jobs:
        res = job.request.get("resolution") or "-"
        dur = job.request.get("duration")
        output = f"{res} {dur}s" if dur is not None else str(res)
        cost = job_cost(job, demo=demo).short  # the window's Cost column says the same
        rows.append((job.id[:12], state_word(job), _when(job.created_at), output, cost, _clip(job.prompt, 40)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines += [f"{job.id[:12]}  {held_note(job)}" for job in jobs if held_note(job)]
    return "\n".join(lines)


def job_details(job: Job, *, demo: bool = False) -> str:
    """Everything a person needs about one job, including its history with reasons."""
    lines = [
        f"Job        {job.id}",
        f"State      {job.state.value}" + (f"  ({job.error})" if job.error else ""),
        f"Held       {held_note(job)}" if held_note(job) else "",
        f"Model      {job.model}",
        f"Prompt     {job.prompt}",
    ]
    for key, value in sorted(display_request(job).items()):
        if key != "prompt":
            lines.append(f"  {key:<24} {value}")
    for item in job.inputs:
        note = "uploaded" if item.uploaded_url else "not uploaded yet"
        lines.append(f"  input {item.field}[{item.index}]  {item.local_path}  ({note})")
        if item.trim_start is not None or item.trim_end is not None or item.framing:
            span = f"{item.trim_start or 0:g}-{item.trim_end:g} s" if item.trim_end is not None else ""
            lines.append("    edit: " + ", ".join(x for x in (span, item.framing or "") if x))
        if item.prepared_note:
            lines.append(f"    prepared: {item.prepared_note}" + (f" -> {item.prepared_path}" if item.prepared_path else ""))
    lines += [
        f"Task id    {job.task_id or '-'}",
        f"Created    {_when(job.created_at)}",
        f"Submitted  {_when(job.submitted_at)}",
        f"Finished   {_when(job.finished_at)}",
        f"Cost       {job_cost(job, demo=demo).long}",
        f"Video      {job.video_path or '-'}",
    ]
    if job.last_frame_path:
        lines.append(f"Last frame {job.last_frame_path}")
    if job.attempt_of:
        lines.append(f"Attempt of {job.attempt_of}")
    lines.append("History")
    for t in job.history:
        reason = f"  {t.reason}" if t.reason else ""
        lines.append(f"  {_when(t.at)}  {t.new.value:<16}{reason}")
    lines.append(next_step_hint(job))
    return "\n".join(line for line in lines if line)


def next_step_hint(job: Job) -> str:
    """What the person can do next with a job in this state (empty when nothing): the command
    for the first action ``core.engine.allowed`` offers, never a paid re-run for a result that
    can still be fetched."""
    short = job.id[:12]
    action = suggested_action(job)
    if action is Action.SEND:
        return f"Next: it is held (its command stopped before sending it); send it with: seedance-desktop-cli send {short}"
    if action is Action.REDOWNLOAD:  # the task succeeded: its result may still be fetched
        return f"Next: fetch the result again (no new charge) with: seedance-desktop-cli download {short}"
    if action is Action.SUBMIT_AGAIN:
        return (
            "Next: the submission may have reached Modellix. Check your Modellix dashboard; if the "
            f"task is not there, run: seedance-desktop-cli submit-again {short}"
        )
    if action is Action.RETRY:
        return f"Next: run it again with: seedance-desktop-cli retry {short}"
    if not job.state.is_final:
        return f"Next: wait for it with: seedance-desktop-cli wait {short}"
    return ""


def cost_note(settings: Any, model: str, request: dict[str, object], *, demo: bool) -> str:
    """One line with the *estimated* charge (Modellix bills per second of output; the real
    amount comes back with the result), from the user's price table or the model's. The words
    are ``core.cost``'s, which the window's queue uses too."""
    get_model(model)  # an unknown model is an error here, not "no price"
    estimate, resolution, duration = estimate_for(model, request, settings.prices)
    return estimate_note(estimate, resolution, duration, demo=demo)


class ProgressPrinter:
    """Engine listener that prints one line per state change, and progress at most every
    :data:`PROGRESS_INTERVAL` seconds per job, to stderr. Only jobs in ``watch`` are shown
    (None: every job)."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        watch: set[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        quiet: bool = False,
    ) -> None:
        self.out = out or sys.stderr
        self.watch = watch
        self.quiet = quiet
        self._clock = clock
        self._last_state: dict[str, JobState] = {}
        self._last_progress: dict[str, float] = {}

    def __call__(self, job: Job) -> None:
        if self.quiet or (self.watch is not None and job.id not in self.watch):
            return
        short = job.id[:8]
        if self._last_state.get(job.id) is not job.state:
            if self._last_state.get(job.id) is JobState.PREPARING:
                self._prepared(job)
            self._last_state[job.id] = job.state
            reason = job.history[-1].reason if job.history and job.history[-1].new is job.state else ""
            if job.state is JobState.FAILED and job.error:
                reason = job.error
            self._write(f"[{short}] {job.state.label}" + (f": {reason}" if reason else ""))
            self._last_progress[job.id] = self._clock()
            return
        if job.progress is None:
            return
        now = self._clock()
        if now - self._last_progress.get(job.id, 0.0) < PROGRESS_INTERVAL:
            return
        self._last_progress[job.id] = now
        self._write(f"[{short}] {job.state.label} {job.progress * 100:3.0f}%")

    def _prepared(self, job: Job) -> None:
        """After the PREPARING step: what it did to each input (core.prepare's words)."""
        from seedance_desktop.core.prepare import input_label

        for item in job.inputs:
            if item.prepared_path and item.prepared_note:
                label = input_label(job.model, item.field, item.index, item.local_path)
                self._write(f"[{job.id[:8]}] {label}: {item.prepared_note}")

    def note(self, text: str) -> None:
        if not self.quiet:
            self._write(text)

    def _write(self, line: str) -> None:
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except (OSError, ValueError):  # stderr closed (a pipe went away): never kill the job
            pass
