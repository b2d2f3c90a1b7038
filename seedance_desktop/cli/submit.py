"""Turn ``submit`` options into a checked recipe: (model slug, request values, local inputs).

Everything that can be wrong with a request is found here, before anything is uploaded or paid
for, and reported against the *option* the person typed (``--duration``), not the JSON field
(``duration``). Local media files get the quick check both faces share
(``core.prepare.assess_inputs``); what no conforming can fix is reported here, before anything
is queued. The files are queued as the person gave them: the engine's PREPARING step conforms
what needs it (into the cache folder) and uploads the conformed copy, exactly as for the window.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import MediaKind, ModelSpec, get_model
from seedance_desktop.api.urls import is_remote
from seedance_desktop.api.validate import placeholder_report, validate_request
from seedance_desktop.cli.errors import InputProblem
from seedance_desktop.core.job import InputFile
from seedance_desktop.media.edit import Framing, Selection
from seedance_desktop.media.errors import MediaError

#: JSON field -> the option that sets it.
FIELD_OPTIONS: dict[str, str] = {
    "prompt": "--prompt",
    "video_urls": "--video",
    "first_frame_image": "--first-frame",
    "last_frame_image": "--last-frame",
    "reference_images": "--reference-image",
    "audio_urls": "--audio",
    "duration": "--duration",
    "ratio": "--ratio",
    "resolution": "--resolution",
    "seed": "--seed",
    "camera_fixed": "--camera-fixed",
    "generate_audio": "--no-generate-audio",
    "return_last_frame": "--return-last-frame",
    "execution_expires_after": "--expires-after",
}
#: Media fields, in the order inputs are numbered, and the args attribute holding each.
MEDIA_ARGS: tuple[tuple[str, str, bool], ...] = (
    ("video_urls", "video", True),
    ("first_frame_image", "first_frame", False),
    ("last_frame_image", "last_frame", False),
    ("reference_images", "reference_image", True),
    ("audio_urls", "audio", True),
)
SCALAR_ARGS: tuple[tuple[str, str], ...] = (
    ("prompt", "prompt"),
    ("duration", "duration"),
    ("ratio", "ratio"),
    ("resolution", "resolution"),
    ("seed", "seed"),
    ("camera_fixed", "camera_fixed"),
    ("generate_audio", "generate_audio"),
    ("return_last_frame", "return_last_frame"),
    ("execution_expires_after", "expires_after"),
)
#: Fields whose local files take a selection (``FILE@START-END``) and a framing (``--frame``).
_TRIMMABLE = frozenset({"video_urls", "audio_urls"})
_FRAMEABLE = frozenset({"video_urls"})

#: Stands in for a local file during validation: the real URL only exists after upload.
_PENDING = "https://upload.pending.invalid/{field}/{index}"


@dataclass
class PreparedRequest:
    model: str
    request: dict[str, Any]
    inputs: list[InputFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def option_for(field_name: str) -> str:
    return FIELD_OPTIONS.get(field_name, field_name)


def _gather(args: argparse.Namespace, spec: ModelSpec) -> tuple[dict[str, Any], list[InputFile], list[str]]:
    values: dict[str, Any] = {}
    for name, attr in SCALAR_ARGS:
        value = getattr(args, attr, None)
        if value is not None:
            values[name] = value
    inputs: list[InputFile] = []
    problems: list[str] = []
    framing: str | None = None
    frame_option = getattr(args, "frame", None)
    if frame_option:
        mode, _, rect = str(frame_option).partition("@")
        ratio = values.get("ratio") or "1:1"  # the server's default ratio when none is chosen
        try:
            framing = Framing.parse(f"{mode}:{ratio}" + (f"@{rect}" if rect else "")).text()
        except MediaError as exc:
            problems.append(f"--frame {frame_option}: {exc.user_message}")
    for name, attr, many in MEDIA_ARGS:
        raw = getattr(args, attr, None)
        if raw is None or raw == []:
            continue
        items = list(raw) if many else [raw]
        resolved: list[str] = []
        for index, item in enumerate(items):
            item = str(item)
            if is_remote(item):
                resolved.append(item)
                continue
            path = Path(item).expanduser()
            trim: Selection | None = None
            if not path.is_file() and "@" in item and name in _TRIMMABLE:
                head, _, tail = item.rpartition("@")
                try:
                    trim = Selection.parse(tail)
                except MediaError as exc:
                    problems.append(f"{option_for(name)} {item}: {exc.user_message}")
                    resolved.append(_PENDING.format(field=name, index=index))
                    continue
                path = Path(head).expanduser()
            if not path.is_file():
                problems.append(f"{option_for(name)} {item}: no such file (give a local file or an http(s) URL)")
                resolved.append(_PENDING.format(field=name, index=index))  # count it anyway
                continue
            inputs.append(InputFile(field=name, index=index, local_path=str(path.resolve()),
                                    trim_start=trim.start if trim else None, trim_end=trim.end if trim else None,
                                    framing=framing if name in _FRAMEABLE else None))
            resolved.append(_PENDING.format(field=name, index=index))
        values[name] = resolved if many else resolved[0]
    return values, inputs, problems


def validate_options(spec: ModelSpec, values: dict[str, Any]) -> list[str]:
    """Friendly messages, each starting with the option it concerns."""
    return [f"{option_for(e.field)}: {e.message}" for e in validate_request(spec, values)]


def check_media(model: str, inputs: list[InputFile]) -> list[str]:
    """The shared quick check (``core.prepare.assess_inputs``: probe, limits, decode of the
    tail, totals) on every local file, before anything is queued. Returns a note for each
    file that the PREPARING step will conform; raises :class:`InputProblem` listing every
    file no conforming can fix. Each line is the window's wording, led by the option."""
    from seedance_desktop.core.prepare import assess_inputs

    problems: list[str] = []
    notes: list[str] = []
    for assessment in assess_inputs(model, inputs):
        line = f"{option_for(assessment.field)}: {assessment.line}"
        if assessment.rejected:
            problems.append(line)
        elif assessment.will_conform:
            notes.append(line)
    if problems:
        raise InputProblem(problems)
    return notes


def apply_recipe(args: argparse.Namespace) -> None:
    """Fill every option the person did not give from ``--recipe`` (a sidecar file)."""
    from seedance_desktop.core.outputs import SidecarError, read_sidecar

    try:
        recipe = read_sidecar(args.recipe)
    except SidecarError as exc:
        raise InputProblem([f"--recipe: {exc.user_message}"]) from None
    if args.model is None:
        args.model = recipe.model
    for name, attr in SCALAR_ARGS:
        if getattr(args, attr, None) is None and name in recipe.request:
            setattr(args, attr, recipe.request[name])
    for name, attr, many in MEDIA_ARGS:
        value = recipe.request.get(name)
        if getattr(args, attr, None) is None and value:
            if many:
                setattr(args, attr, [str(v) for v in (value if isinstance(value, list) else [value]) if v])
            else:
                setattr(args, attr, str(value))


def placeholder_notes(values: dict[str, Any]) -> list[str]:
    """Warnings (not errors) for ``[Video 2]``-style references to inputs that do not exist:
    legal to send, but the model would have to guess."""
    def count(*names: str) -> int:
        total = 0
        for name in names:
            value = values.get(name)
            total += len(value) if isinstance(value, list) else (1 if value else 0)
        return total

    counts = {
        MediaKind.VIDEO: count("video_urls"),
        MediaKind.IMAGE: count("first_frame_image", "last_frame_image", "reference_images"),
        MediaKind.AUDIO: count("audio_urls"),
    }
    report = placeholder_report(str(values.get("prompt") or ""), counts)
    if not report.missing:
        return []
    return [f"warning: --prompt mentions {', '.join(report.missing)}, but there is no such input "
            "(inputs are numbered 1, 2, 3 in the order given)"]


def prepare_request(args: argparse.Namespace, *, check_files: bool = True) -> PreparedRequest:
    """Validate the options (all problems at once), then the local files (the shared quick
    check; they are queued as given and conformed by the engine's PREPARING step). Raises
    :class:`InputProblem` on anything wrong."""
    if getattr(args, "recipe", None):
        apply_recipe(args)
    if not getattr(args, "model", None):
        args.model = DEFAULT_MODEL
    try:
        spec = get_model(args.model)
    except KeyError as exc:
        raise InputProblem([f"--model: {exc.args[0]}"]) from None
    values, inputs, problems = _gather(args, spec)
    problems += validate_options(spec, values)
    if problems:
        raise InputProblem(problems)
    notes = check_media(spec.slug, inputs) if (check_files and inputs) else []
    notes += placeholder_notes(values)
    request = dict(values)
    for item in inputs:
        # The engine fills in the uploaded URL at this position just before submit; until then
        # the slot holds nothing that could be mistaken for a real link.
        current = request[item.field]
        if isinstance(current, list):
            current[item.index] = None
        else:
            request[item.field] = None
    return PreparedRequest(model=spec.slug, request=request, inputs=inputs, notes=notes)
