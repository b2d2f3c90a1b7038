"""Has this exact recipe been queued or made already? (Paid work repeated by accident.)

Submitting twice with a fixed seed, or re-queueing a finished recipe unchanged, pays again for
the same video. Both faces ask :func:`identical_jobs` before queueing: the window turns Submit
into a confirming "Submit anyway", and the command line can say the same. Two recipes are
identical when their canonical request bodies are: the model, every field with the model's
defaults filled in, unset values dropped, and each local file named by its absolute path in
its slot (what will be uploaded there).

A random seed (-1) makes a new video each time, so such a recipe is never a repeat.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any, Protocol

from seedance_desktop.api.spec import MODELS
from seedance_desktop.core.job import InputFile, Job, JobState, place_inputs

RANDOM_SEED = -1

#: States whose recipe counts as "already queued or done": a failed, cancelled or expired job
#: gave nothing to keep, so repeating it is the point.
REPEAT_STATES = frozenset(JobState) - {JobState.FAILED, JobState.CANCELLED, JobState.EXPIRED}


class JobLister(Protocol):
    def list(self, states: Iterable[JobState] | None = None, limit: int | None = None,
             offset: int = 0) -> list[Job]: ...


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def canonical_body(model: str, request: dict[str, Any], inputs: list[InputFile]) -> str:
    """The recipe as one comparable string (sorted JSON)."""
    job = Job(model=model, request=dict(request), inputs=list(inputs))
    placed = place_inputs(job, lambda item: "local:" + os.path.abspath(item.local_path))
    spec = MODELS.get(model)
    body: dict[str, Any] = dict(spec.defaults()) if spec is not None else {}
    body.update(placed)
    body = {k: v for k, v in body.items() if _given(v)}
    return json.dumps({"model": model, "body": body}, sort_keys=True, separators=(",", ":"))


def is_random(request: dict[str, Any]) -> bool:
    seed = request.get("seed", RANDOM_SEED)
    return seed is None or seed == RANDOM_SEED


def identical_jobs(store: JobLister, model: str, request: dict[str, Any], inputs: list[InputFile]) -> list[Job]:
    """Jobs queued, running or done with exactly this recipe (none when the seed is random).
    Reads the store: run it off the GUI thread."""
    if is_random(request):
        return []
    key = canonical_body(model, request, inputs)
    return [job for job in store.list(states=REPEAT_STATES)
            if job.model == model and canonical_body(job.model, job.request, job.inputs) == key]


def repeat_warning(jobs: list[Job]) -> str:
    """Plain words for the person about to pay again ("" when there is nothing to say)."""
    if not jobs:
        return ""
    done = [j for j in jobs if j.state is JobState.DONE]
    job = done[0] if done else jobs[0]
    where = "already made" if job.state is JobState.DONE else f"already in the queue ({job.state.value.replace('_', ' ')})"
    more = f" (and {len(jobs) - 1} more)" if len(jobs) > 1 else ""
    return (f"This exact recipe with seed {job.seed} was {where}: job {job.id[:8]}{more}. "
            "Submitting it again pays for the same video again; change the seed or anything else "
            "for a new one.")
