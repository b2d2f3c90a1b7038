"""Which user actions a job's state allows: one function both faces and the engine obey.

The queue panel enables exactly :func:`allowed_actions`, the command line accepts exactly those,
and the engine refuses the rest with :func:`refusal_message` in an :class:`EngineError`. Before
this table existed the three disagreed (the panel offered Retry on a cancelled job, which the
engine refused), so the rule lives here once and a table-driven test checks every face against it.

Why each rule:

* nothing that could cost money is ever re-sent by accident: RETRY makes a *new* attempt only
  for a job that ended without a result (FAILED, CANCELLED: a cancelled job was never sent, so
  running it again cannot pay twice); for a job whose task succeeded (an EXPIRED one, or one
  whose download failed) RETRY fetches the paid result again, like REDOWNLOAD; SUBMIT_AGAIN is
  the explicit decision for an OUTCOME_UNKNOWN job, whose POST may have reached Modellix;
* a paid result is never a dead end: REDOWNLOAD ("Download again") refetches the task for fresh
  links for a DONE job whose file is gone, a job whose download failed after the task
  succeeded, and an EXPIRED one;
* CANCEL/EDIT/MOVE only while nothing has been sent (Modellix has no cancel endpoint);
* SEND releases a *held* job: one queued by a command that stopped before sending it (see
  ``core.engine.owner``). The engine never sends such a job by itself, so running the command
  again cannot pay twice; sending it is the person's explicit decision.
"""

from __future__ import annotations

import enum
import os

from seedance_desktop.core.job import FINAL_STATES, Job, JobState
from seedance_desktop.errors import SeedanceError


class Action(enum.Enum):
    """A user action on one job (the window's buttons and menu items, the CLI's commands)."""

    CANCEL = "cancel"
    EDIT = "edit"
    MOVE = "move"
    REMOVE = "remove"
    RETRY = "retry"
    SUBMIT_AGAIN = "submit_again"
    RERUN = "rerun"            # run again with a new seed: a new job from the same recipe
    DUPLICATE = "duplicate"    # copy the recipe into the form
    REDOWNLOAD = "redownload"  # "Download again": refetch the task for fresh links, download
    SEND = "send"              # send a held job (its command stopped before sending it)


class EngineError(SeedanceError):
    """An action the engine refuses for this job (``user_message`` says why and what to do)."""


def has_result_file(job: Job) -> bool:
    return bool(job.video_path) and os.path.isfile(str(job.video_path))


def result_on_server(job: Job) -> bool:
    """Whether the job's task succeeded on Modellix, so its result can be fetched again."""
    if not job.task_id:
        return False
    if job.state is JobState.DONE:
        return not has_result_file(job)
    if job.state is JobState.FAILED:
        return bool(job.remote_video_url)  # the task succeeded; only the download failed
    return job.state is JobState.EXPIRED


def allowed_actions(job: Job) -> frozenset[Action]:
    """Every action the job's current state allows."""
    state = job.state
    actions = {Action.DUPLICATE, Action.RERUN}
    if state is JobState.QUEUED:
        actions |= {Action.CANCEL, Action.EDIT, Action.MOVE, Action.REMOVE}
        if job.held:
            actions.add(Action.SEND)
    elif state.is_local:  # PREPARING, UPLOADING: nothing sent yet
        actions.add(Action.CANCEL)
    if state in FINAL_STATES:
        actions.add(Action.REMOVE)
    if state in (JobState.FAILED, JobState.EXPIRED, JobState.CANCELLED):
        actions.add(Action.RETRY)
    if state is JobState.OUTCOME_UNKNOWN:
        actions.add(Action.SUBMIT_AGAIN)
    if result_on_server(job):
        actions.add(Action.REDOWNLOAD)
    return frozenset(actions)


def refusal_message(job: Job, action: Action) -> str:
    """Why ``action`` is not possible for ``job`` now, and what the person can do instead."""
    label = job.state.label.lower()
    if action is Action.CANCEL:
        return f"This job is {label}: Modellix has no way to cancel a task once it is sent."
    if action in (Action.EDIT, Action.MOVE):
        return f"This job is {label}: only a queued job that has not started can be changed or moved."
    if action is Action.REMOVE:
        return f"This job is {label}: wait until it has finished (or cancel it while it is still queued)."
    if action is Action.RETRY:
        if job.state is JobState.OUTCOME_UNKNOWN:
            return ("This job may already be running on Modellix. Check your Modellix dashboard, then "
                    "choose 'Submit again' if it is not there.")
        if job.state is JobState.DONE:
            return "This job is done. Use 'Re-run with new seed' for another variation."
        return f"This job is {label}; only failed, expired or cancelled jobs can be retried."
    if action is Action.SUBMIT_AGAIN:
        return f"This job is {label}; 'Submit again' is only for a job whose outcome is unknown."
    if action is Action.SEND:
        if job.state is JobState.QUEUED:
            return "This job is not held: it is sent as soon as a slot is free."
        return f"This job is {label}; only a held job (queued by a command that stopped) needs sending."
    if action is Action.REDOWNLOAD:
        if job.state is JobState.DONE:
            return f"Already downloaded: {job.video_path}"
        if not job.state.is_final:
            return f"This job is {label}; its result is downloaded as soon as it is ready."
        return f"This job is {label} and has no result on Modellix to download."
    return f"This job is {label}; that is not possible now."


def check_allowed(job: Job, action: Action) -> None:
    """Raise :class:`EngineError` with the refusal message unless ``action`` is allowed."""
    if action not in allowed_actions(job):
        message = refusal_message(job, action)
        raise EngineError(f"job {job.id}: {action.value} refused in state {job.state.value}", user_message=message)


__all__ = ["Action", "EngineError", "allowed_actions", "check_allowed", "has_result_file", "refusal_message",
           "result_on_server"]
