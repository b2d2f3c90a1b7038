"""Batch runs: many requests built from a grid or read from a file, queued as one group.

Both faces use these functions: the window's grid builder and import dialog preview a
:class:`BatchPlan` (every request, per-line errors, the total estimate) and queue it after one
confirmation; the command line's ``batch FILE`` prints the same plan and asks the same question.

* A **grid** is the cartesian product of a few values for any fields (prompts x seeds x
  durations x ratios...) over a base recipe.
* A **file** is JSONL as the vendor CLI's ``model batch`` reads it (one JSON object per line:
  the request body; an optional ``"model"`` key picks the model) or CSV (a header row of field
  names; media lists separated by ``|``). Each line is validated like a single request; a bad
  line is reported with its number and what to fix, and the rest can still be queued.
* Media values that are not URLs are local files: they become the job's inputs (uploaded by
  the engine) and must exist.
* The queued jobs share a ``group_id``, so the queue can pause, resume, cancel and retry the
  failed ones of a batch through the engine's own actions (:func:`group_action`).
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from seedance_desktop.api.spec import MODELS, FieldKind, ModelSpec
from seedance_desktop.api.urls import is_remote
from seedance_desktop.api.validate import validate_request
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.pricing import PriceOverrides, estimate_request

#: ``Job.held`` of the queued jobs of a paused batch.
GROUP_HOLD_REASON = "Held: its batch was paused. Resume the batch (or send this job) to run it."
#: Stands in for a local file during validation: the real URL only exists after upload.
_PENDING = "https://upload.pending.invalid/{field}/{index}"


@dataclass
class BatchItem:
    line: int                      # 1-based line (file) or row (grid) number
    model: str
    request: dict[str, Any]        # local media slots are None until upload
    inputs: list[InputFile] = field(default_factory=list)
    estimate: float | None = None
    label: str = ""                # what varies, e.g. "seed=3 · duration=5"


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class BatchPlan:
    items: list[BatchItem] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def total_estimate(self) -> float:
        return round(sum(i.estimate or 0.0 for i in self.items), 4)

    @property
    def unpriced(self) -> int:
        return sum(1 for i in self.items if i.estimate is None)


def _check_item(line: int, model: str, values: Mapping[str, Any], base_inputs: Sequence[InputFile],
                overrides: PriceOverrides | None, label: str = "") -> BatchItem | LineError:
    """Validate one request (local media become inputs); an item or the line's error."""
    spec = MODELS.get(model)
    if spec is None:
        return LineError(line, f"unknown model {model!r} (known: {', '.join(MODELS)})")
    request = copy.deepcopy(dict(values))
    inputs = [InputFile(i.field, i.index, i.local_path) for i in base_inputs]
    check = copy.deepcopy(request)
    for item in inputs:  # the base recipe's local files: placeholders for validation
        _place(spec, check, item.field, item.index, _PENDING.format(field=item.field, index=item.index))
    problems: list[str] = []
    for fspec in spec.fields:
        if fspec.kind not in (FieldKind.MEDIA, FieldKind.MEDIA_LIST) or fspec.name not in request:
            continue
        value = request[fspec.name]
        listed = value if isinstance(value, list) else [value]
        for index, source in enumerate(listed):
            if not isinstance(source, str) or not source or is_remote(source):
                continue
            path = Path(source).expanduser()
            if not path.is_file():
                problems.append(f"{fspec.name}: no such file {source!r} (give a local file or an http(s) URL)")
            inputs.append(InputFile(field=fspec.name, index=index, local_path=str(path.resolve())))
            _place(spec, check, fspec.name, index, _PENDING.format(field=fspec.name, index=index))
            _place(spec, request, fspec.name, index, None)
    problems += [f"{e.field}: {e.message}" for e in validate_request(spec, check)]
    if problems:
        return LineError(line, "; ".join(problems))
    return BatchItem(line, model, request, inputs, estimate_request(model, request, overrides), label)


def _place(spec: ModelSpec, request: dict[str, Any], name: str, index: int, value: Any) -> None:
    if spec.has_field(name) and spec.field(name).kind is FieldKind.MEDIA_LIST:
        values = list(request.get(name) or [])
        while len(values) <= index:
            values.append(None)
        values[index] = value
        request[name] = values
    else:
        request[name] = value


def plan_of(results: Sequence[BatchItem | LineError]) -> BatchPlan:
    plan = BatchPlan()
    for result in results:
        (plan.errors if isinstance(result, LineError) else plan.items).append(result)  # type: ignore[arg-type]
    return plan


# ------------------------------------------------------------------------------ the grid


def grid(model: str, base: Mapping[str, Any], axes: Mapping[str, Sequence[Any]], *,
         inputs: Sequence[InputFile] = (), overrides: PriceOverrides | None = None) -> BatchPlan:
    """Every combination of ``axes`` values (field -> a few values) over the ``base`` request
    (with the base recipe's local ``inputs``), in order: the first axis varies slowest."""
    names = [name for name, values in axes.items() if values]
    results: list[BatchItem | LineError] = []
    for n, combo in enumerate(itertools.product(*(axes[name] for name in names)), 1):
        request = copy.deepcopy(dict(base))
        request.update(zip(names, combo))
        label = " · ".join(f"{name}={_short(value)}" for name, value in zip(names, combo))
        results.append(_check_item(n, model, request, inputs, overrides, label))
    return plan_of(results)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def parse_axis(spec: ModelSpec, name: str, text: str) -> list[Any]:
    """The values of one grid axis typed in a box: prompts one per line, other fields
    separated by commas (``4, 8, 12``); ints and booleans converted by the field's kind.
    Raises ValueError naming the bad value."""
    kind = spec.field(name).kind
    parts = [p.strip() for p in (text.splitlines() if kind is FieldKind.TEXT else text.split(","))]
    return [_convert(spec, name, p) for p in parts if p]


def _convert(spec: ModelSpec, name: str, text: str) -> Any:
    kind = spec.field(name).kind
    if kind is FieldKind.INT:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{spec.field(name).label}: {text!r} is not a whole number") from None
    if kind is FieldKind.BOOL:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{spec.field(name).label}: {text!r} is not true or false")
    if kind is FieldKind.MEDIA_LIST:
        return [p.strip() for p in text.split("|") if p.strip()]
    return text


# ------------------------------------------------------------------------------ files


def parse_jsonl(text: str, default_model: str, *, overrides: PriceOverrides | None = None) -> BatchPlan:
    """One request body per line (blank lines and ``#`` comments skipped); an optional
    ``"model"`` key picks the model of that line."""
    results: list[BatchItem | LineError] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            body = json.loads(line)
        except ValueError as exc:
            results.append(LineError(n, f"not valid JSON ({exc.args[0] if exc.args else exc})"))
            continue
        if not isinstance(body, dict):
            results.append(LineError(n, "expected a JSON object (the request body)"))
            continue
        model = body.pop("model", default_model)
        if not isinstance(model, str):
            results.append(LineError(n, "\"model\" must be a model name"))
            continue
        results.append(_check_item(n, model, body, (), overrides))
    return plan_of(results)


def parse_csv(text: str, default_model: str, *, overrides: PriceOverrides | None = None) -> BatchPlan:
    """A header row of field names (and optionally ``model``), then one request per row.
    Empty cells are left out; media lists are separated by ``|``."""
    reader = csv.DictReader(io.StringIO(text))
    results: list[BatchItem | LineError] = []
    for row in reader:
        n = reader.line_num
        model = (row.pop("model", None) or default_model).strip()
        spec = MODELS.get(model)
        if spec is None:
            results.append(LineError(n, f"unknown model {model!r} (known: {', '.join(MODELS)})"))
            continue
        request: dict[str, Any] = {}
        problems: list[str] = []
        for name, cell in row.items():
            if name is None:
                problems.append("more cells than header columns")
                continue
            if cell is None or not cell.strip():
                continue
            if not spec.has_field(name):
                problems.append(f"{name!r} is not a setting of {spec.title}")
                continue
            try:
                request[name] = _convert(spec, name, cell.strip()) if spec.field(name).kind is not FieldKind.TEXT else cell
            except ValueError as exc:
                problems.append(str(exc))
        results.append(LineError(n, "; ".join(problems)) if problems else _check_item(n, model, request, (), overrides))
    return plan_of(results)


def load_file(path: str | Path, default_model: str, *, overrides: PriceOverrides | None = None) -> BatchPlan:
    """A batch file by its suffix (``.csv``; anything else is read as JSONL). Blocking."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return parse_csv(text, default_model, overrides=overrides)
    return parse_jsonl(text, default_model, overrides=overrides)


# ------------------------------------------------------------------------------ queueing


class Enqueuer(Protocol):
    def enqueue(self, model: str, request: dict[str, Any], inputs: list[InputFile], *,
                group_id: str | None = None) -> Job: ...


def queue_plan(engine: Enqueuer, plan: BatchPlan) -> tuple[str, list[Job]]:
    """Queue every valid item of ``plan`` as one group; (group id, the jobs). Call only after
    the person confirmed the plan (its total estimate was shown)."""
    group_id = "batch-" + uuid.uuid4().hex[:12]
    jobs = [engine.enqueue(item.model, item.request, item.inputs, group_id=group_id) for item in plan.items]
    return group_id, jobs


# ------------------------------------------------------------------------------ group actions


class GroupEngine(Protocol):
    def hold(self, job_id: str, reason: str) -> Job: ...
    def send(self, job_id: str) -> Job: ...
    def cancel(self, job_id: str) -> Job: ...
    def retry(self, job_id: str) -> Job: ...
    def is_started(self, job_id: str) -> bool: ...


GROUP_ACTIONS = ("pause", "resume", "cancel", "retry_failed")


def group_targets(jobs: Sequence[Job], action: str) -> list[Job]:
    """The jobs of a group an action applies to (the others are left alone)."""
    if action == "pause":
        return [j for j in jobs if j.state is JobState.QUEUED and not j.held]
    if action == "resume":
        return [j for j in jobs if j.state is JobState.QUEUED and j.held == GROUP_HOLD_REASON]
    if action == "cancel":
        return [j for j in jobs if j.state.is_local]
    if action == "retry_failed":
        return [j for j in jobs if j.state in (JobState.FAILED, JobState.EXPIRED)]
    raise ValueError(f"unknown group action {action!r}")


def group_action(engine: GroupEngine, jobs: Sequence[Job], action: str) -> int:
    """Apply a group action through the engine's own per-job actions; how many jobs it
    changed. A job that has just started (it may be on the wire) is left alone."""
    done = 0
    for job in group_targets(jobs, action):
        if action == "pause" and engine.is_started(job.id):
            continue
        if action == "pause":
            engine.hold(job.id, GROUP_HOLD_REASON)
        elif action == "resume":
            engine.send(job.id)
        elif action == "cancel":
            engine.cancel(job.id)
        else:
            engine.retry(job.id)
        done += 1
    return done


__all__ = ["BatchItem", "BatchPlan", "Enqueuer", "GROUP_ACTIONS", "GROUP_HOLD_REASON", "GroupEngine", "LineError",
           "group_action", "group_targets", "grid", "load_file", "parse_axis", "parse_csv", "parse_jsonl",
           "plan_of", "queue_plan"]
