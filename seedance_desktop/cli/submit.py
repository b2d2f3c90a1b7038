"""Turn ``submit`` options into a checked recipe: (model slug, request values, local inputs).

Everything that can be wrong with a request is found here, before anything is uploaded or paid
for, and reported against the *option* the person typed (``--duration``), not the JSON field
(``duration``). Local media files are probed and checked against Seedance's input limits; a
reference video that breaks a limit conform can fix (too big, too long, wrong size or codec) is
conformed into the cache folder first, and the conformed copy is what gets uploaded.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import MediaKind, ModelSpec, get_model
from seedance_desktop.api.urls import is_remote
from seedance_desktop.api.validate import placeholder_report, validate_request
from seedance_desktop.cli.errors import InputProblem
from seedance_desktop.core.job import InputFile

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
            if not path.is_file():
                problems.append(f"{option_for(name)} {item}: no such file (give a local file or an http(s) URL)")
                resolved.append(_PENDING.format(field=name, index=index))  # count it anyway
                continue
            inputs.append(InputFile(field=name, index=index, local_path=str(path.resolve())))
            resolved.append(_PENDING.format(field=name, index=index))
        values[name] = resolved if many else resolved[0]
    return values, inputs, problems


def validate_options(spec: ModelSpec, values: dict[str, Any]) -> list[str]:
    """Friendly messages, each starting with the option it concerns."""
    return [f"{option_for(e.field)}: {e.message}" for e in validate_request(spec, values)]


def _cache_name(path: Path) -> str:
    stat = path.stat()
    digest = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return f"{path.stem[:40]}-{digest}.mp4"


def check_media(
    inputs: list[InputFile],
    conform_dir: Path,
    *,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> list[str]:
    """Probe every local file, check it against the limits and conform reference videos that
    need it (updating ``InputFile.local_path`` to the conformed copy). Returns notes on what
    was done; raises :class:`InputProblem` listing everything that cannot be fixed."""
    from seedance_desktop.media import probe as probe_mod
    from seedance_desktop.media.conform import conform_video, needs_conform
    from seedance_desktop.media.errors import MediaError

    problems: list[str] = []
    notes: list[str] = []
    videos = []
    audios = []
    for item in inputs:
        option = option_for(item.field)
        source = Path(item.local_path)
        try:
            info = probe_mod.probe(source)
        except MediaError as exc:
            problems.append(f"{option} {source.name}: {exc.user_message}")
            continue
        if item.field == "video_urls":
            if needs_conform(info):
                conform_dir.mkdir(parents=True, exist_ok=True)
                target = conform_dir / _cache_name(source)
                say(f"Preparing {source.name} for upload (trim/scale/re-encode to fit the limits)…")
                try:
                    info = conform_video(source, target)
                except MediaError as exc:
                    problems.append(f"{option} {source.name}: {exc.user_message}")
                    continue
                item.local_path = str(target)
                notes.append(f"{source.name} was conformed to fit the limits ({target.name})")
            problems += [f"{option}: {p}" for p in probe_mod.check_reference_video(info)]
            videos.append(info)
        elif item.field == "audio_urls":
            audios.append(info)
        else:
            problems += [f"{option}: {p}" for p in probe_mod.check_image(info)]
    if len(videos) > 1:
        problems += [f"--video: {p}" for p in probe_mod.check_video_set(videos)]
    if audios:
        problems += [f"--audio: {p}" for p in probe_mod.check_audio_set(audios)]
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


def prepare_request(
    args: argparse.Namespace,
    conform_dir: Path,
    *,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    check_files: bool = True,
) -> PreparedRequest:
    """Validate the options (all problems at once), then the local files. Raises
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
    notes = check_media(inputs, conform_dir, say=say) if (check_files and inputs) else []
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
