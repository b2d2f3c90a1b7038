"""The job state machine: one table of allowed transitions, everything else refused."""

from __future__ import annotations

import pytest

from seedance_desktop.core.job import (
    FINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    Job,
    JobState,
    check_transition,
)


def test_every_state_has_an_entry_in_the_table() -> None:
    assert set(TRANSITIONS) == set(JobState)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (JobState.QUEUED, JobState.UPLOADING),
        (JobState.UPLOADING, JobState.SUBMITTING),
        (JobState.SUBMITTING, JobState.SUBMITTED),
        (JobState.SUBMITTED, JobState.PROCESSING),
        (JobState.PROCESSING, JobState.DOWNLOADING),
        (JobState.DOWNLOADING, JobState.DONE),
        (JobState.SUBMITTING, JobState.OUTCOME_UNKNOWN),
        (JobState.DOWNLOADING, JobState.EXPIRED),
        (JobState.QUEUED, JobState.CANCELLED),
        # "Download again" fetches the same paid result again (never a new POST).
        (JobState.DONE, JobState.DOWNLOADING),
        (JobState.EXPIRED, JobState.DOWNLOADING),
        (JobState.FAILED, JobState.DOWNLOADING),
    ],
)
def test_the_happy_path_and_its_exits_are_allowed(old: JobState, new: JobState) -> None:
    check_transition("j", old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # Once a task may exist on the server, the job can never go back to "not sent".
        (JobState.SUBMITTED, JobState.QUEUED),
        (JobState.PROCESSING, JobState.SUBMITTING),
        (JobState.OUTCOME_UNKNOWN, JobState.QUEUED),
        (JobState.OUTCOME_UNKNOWN, JobState.SUBMITTING),
        # Paid work cannot be cancelled locally (there is no cancel endpoint).
        (JobState.SUBMITTED, JobState.CANCELLED),
        (JobState.DONE, JobState.QUEUED),
        (JobState.EXPIRED, JobState.QUEUED),
        (JobState.CANCELLED, JobState.QUEUED),
    ],
)
def test_dangerous_transitions_raise(old: JobState, new: JobState) -> None:
    with pytest.raises(IllegalTransition) as info:
        check_transition("job-1", old, new)
    assert "job-1" in str(info.value) and old.value in str(info.value)


def test_no_state_leads_back_to_submitting_once_the_post_may_have_left() -> None:
    for state in (JobState.SUBMITTED, JobState.PROCESSING, JobState.DOWNLOADING, *FINAL_STATES):
        assert JobState.SUBMITTING not in TRANSITIONS[state], state


def test_state_properties() -> None:
    assert JobState.QUEUED.is_local and not JobState.SUBMITTED.is_local
    assert JobState.PROCESSING.is_active and not JobState.DOWNLOADING.is_active
    assert JobState.OUTCOME_UNKNOWN.is_final
    assert JobState.OUTCOME_UNKNOWN.label == "Outcome unknown"


def test_job_exposes_prompt_and_seed_from_its_request() -> None:
    job = Job(request={"prompt": "a cat", "seed": 7})
    assert (job.prompt, job.seed) == ("a cat", 7)
    assert Job(request={"seed": True}).seed is None  # a bool is not a seed
    assert Job().id != Job().id
