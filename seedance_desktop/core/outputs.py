"""Output file names and JSON sidecars.

A finished video is saved under a user-editable naming template, sanitised so the same name is
valid on Windows, macOS and Linux, and never overwriting an existing file. Beside it a JSON
sidecar records the full recipe so the job can be reproduced: it holds no API key and no signed
URL (every URL loses its query string; uploaded inputs are replaced by the local files they came
from), because sidecars get shared along with the video.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.api.urls import scrub_text, scrub_urls
from seedance_desktop.core.fileio import atomic_write_text
from seedance_desktop.core.job import InputFile, Job, place_inputs
from seedance_desktop.errors import SeedanceError

DEFAULT_TEMPLATE = "{date}_{prompt}_{seed}_{job}"
PLACEHOLDERS = ("date", "time", "prompt", "seed", "job", "model", "ratio", "resolution")
SIDECAR_VERSION = 1
MAX_STEM = 120  # leaves room for " (999).mp4" and long folders under Windows' 260-char limit

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


class SidecarError(SeedanceError):
    """A recipe sidecar cannot be read or written; ``user_message`` says why."""


@dataclass
class Recipe:
    """What is needed to run a job again: model slug, request values, local input files."""

    model: str
    request: dict[str, Any]
    inputs: list[InputFile] = field(default_factory=list)


# ------------------------------------------------------------------------------ names


def sanitize_filename(name: str, max_len: int = MAX_STEM, fallback: str = "video") -> str:
    """A file-name component valid on every OS: no path separators, reserved characters or
    control characters, no trailing dots/spaces (Windows drops them), no reserved device
    names, at most ``max_len`` characters."""
    name = unicodedata.normalize("NFC", name)
    name = _FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = name[:max_len].rstrip(" .")
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name or fallback


def slugify(text: str, max_len: int = 40) -> str:
    """A short, readable slug of a prompt: ASCII letters/digits and dashes, cut at a word."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len:
            if not slug:
                slug = word[:max_len]
            break
        slug = candidate
    return slug or "untitled"


def _seed_text(job: Job) -> str:
    seed = job.seed
    if seed is None or seed < 0:
        # A random seed (-1): use the one the server reports, if it reported one.
        raw = job.raw_task or {}
        for where in (raw, raw.get("result") or {}, (raw.get("result") or {}).get("metadata") or {}):
            value = where.get("seed") if isinstance(where, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return str(value)
        return "random"
    return str(seed)


def template_values(job: Job, now: _dt.datetime | float | None = None) -> dict[str, str]:
    if now is None:
        moment = _dt.datetime.now()
    elif isinstance(now, (int, float)):
        moment = _dt.datetime.fromtimestamp(now)
    else:
        moment = now
    return {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H%M%S"),
        "prompt": slugify(job.prompt),
        "seed": _seed_text(job),
        "job": job.id[:8],
        "model": slugify(job.model.rsplit("/", 1)[-1], max_len=30),
        "ratio": str(job.request.get("ratio", "")).replace(":", "x"),
        "resolution": str(job.request.get("resolution", "")),
    }


def check_template(template: str) -> str | None:
    """``None`` if the template is usable, else a friendly description of the problem."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return f"The naming template is malformed ({exc}). Use placeholders like {{date}} and {{prompt}}."
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        return (
            f"Unknown placeholder {{{unknown[0]}}} in the naming template. "
            f"Available: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."
        )
    if not names:
        return "The naming template needs at least one placeholder, e.g. {job}, so names differ."
    # Validated by rendering, so what Settings accepts is exactly what the download can use:
    # "{date:%Y-%m-%d}" and "{seed:05d}" parse, but every value is text and takes no format code.
    try:
        _format(template, Job(id="0" * 32, request={"prompt": "sample", "seed": 1}), 0.0)
    except _FORMAT_ERRORS as exc:
        return (f"The naming template cannot be used ({exc}). Placeholders take no format codes: "
                "write {date}, not {date:%Y-%m-%d}.")
    return None


_FORMAT_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def _format(template: str, job: Job, now: _dt.datetime | float | None) -> str:
    return template.format(**template_values(job, now))


def render_name(template: str, job: Job, now: _dt.datetime | float | None = None) -> str:
    """The sanitised file stem (no extension) for ``job``. A template that cannot be rendered
    (a settings file edited by hand) falls back to the default rather than failing a paid
    download."""
    try:
        stem = _format(template, job, now) if check_template(template) is None else None
    except _FORMAT_ERRORS:
        stem = None
    return sanitize_filename(stem if stem is not None else _format(DEFAULT_TEMPLATE, job, now))


def unique_path(folder: str | Path, stem: str, suffix: str, companions: Iterable[str] = (".json",)) -> Path:
    """``folder/stem+suffix``, or ``stem (2)``, ``stem (3)``... so nothing is ever overwritten.
    A candidate is taken if the file or any companion (``stem + companion``, e.g. its sidecar)
    exists."""
    folder = Path(folder)
    stem = sanitize_filename(stem)
    companions = tuple(companions)
    n = 1
    while True:
        candidate_stem = stem if n == 1 else f"{stem} ({n})"
        paths = [folder / (candidate_stem + suffix)] + [folder / (candidate_stem + c) for c in companions]
        if not any(os.path.lexists(p) for p in paths):
            return paths[0]
        n += 1


# ------------------------------------------------------------------------------ sidecars


def recipe_request(job: Job) -> dict[str, Any]:
    """The request with every local input put back as its local path (uploaded URLs expire
    and may be signed; the local file is what the user chose)."""
    request: dict[str, Any] = scrub_urls(place_inputs(job, lambda item: item.local_path))
    return request


def sidecar_path(video_path: str | Path) -> Path:
    return Path(video_path).with_suffix(".json")


def sidecar_data(job: Job, video_path: str | Path | None = None) -> dict[str, Any]:
    """The sidecar's JSON content (also usable for exports)."""
    timings: dict[str, Any] = {"created_at": job.created_at, "submitted_at": job.submitted_at, "finished_at": job.finished_at}
    if job.submitted_at and job.finished_at:
        timings["seconds_from_submit"] = round(job.finished_at - job.submitted_at, 3)
    timings["seconds_total"] = round(job.finished_at - job.created_at, 3) if job.finished_at else None
    return {
        "app": "seedance-desktop",
        "sidecar_version": SIDECAR_VERSION,
        "model": job.model,
        "request": recipe_request(job),
        "inputs": [
            {"field": i.field, "index": i.index, "local_path": i.local_path, "file_name": Path(i.local_path).name,
             **{k: v for k, v in i.edit_fields().items() if v is not None}}
            for i in job.inputs
        ],
        "job_id": job.id,
        "attempt_of": job.attempt_of,
        "task_id": job.task_id,
        "seed": job.seed,
        "seed_used": _seed_text(job),
        "state": job.state.value,
        "cost": job.cost,
        "timings": timings,
        "video_file": Path(video_path).name if video_path else (Path(job.video_path).name if job.video_path else None),
        "last_frame_file": Path(job.last_frame_path).name if job.last_frame_path else None,
        "history": [
            {"at": t.at, "state": t.new.value, "reason": scrub_text(t.reason)} for t in job.history
        ],
    }


def write_sidecar(video_path: str | Path, job: Job) -> Path:
    """Write ``<video stem>.json`` beside the video, atomically; returns its path."""
    path = sidecar_path(video_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(sidecar_data(job, video_path), indent=2, ensure_ascii=False, sort_keys=False)
    atomic_write_text(path, text + "\n", mode=0o644)
    return path


def _number(value: object) -> float | None:
    """A hand-edited sidecar may hold anything: only a real number is a trim point."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def read_sidecar(path: str | Path) -> Recipe:
    """Restore the recipe from a sidecar (or from the video beside it)."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        path = sidecar_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SidecarError(str(exc), user_message=f"There is no recipe file {path.name} next to that video.") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SidecarError(str(exc), user_message=f"{path.name} is not a readable Seedance recipe file ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("model"), str) or not isinstance(data.get("request"), dict):
        raise SidecarError("missing model/request", user_message=f"{path.name} does not contain a Seedance recipe.")
    inputs = []
    for item in data.get("inputs") or []:
        try:
            inputs.append(InputFile(field=str(item["field"]), index=int(item["index"]), local_path=str(item["local_path"]),
                                    trim_start=_number(item.get("trim_start")), trim_end=_number(item.get("trim_end")),
                                    framing=str(item["framing"]) if isinstance(item.get("framing"), str) else None))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a hand-edited entry we cannot use: keep the rest of the recipe
    return Recipe(model=data["model"], request=data["request"], inputs=inputs)
