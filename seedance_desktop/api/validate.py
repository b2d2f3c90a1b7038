"""Validate a request against its model spec, and build the exact JSON body.

Every paid submission starts here, so the validator is deliberately *at least as strict* as the
server (SPEC section 2): whatever it accepts the server is expected to accept, and it reports
**all** problems at once, each tied to the field the form should highlight, in words a person
understands. The rules are read from :mod:`seedance_desktop.api.spec`, so a sibling model needs
no code here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import FieldError, ValidationError
from .spec import FieldKind, FieldSpec, MediaKind, ModelSpec

#: SPEC section 3: a whole request may carry at most this many reference files.
MAX_REFERENCE_FILES = 12

_DATA_URI = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/\s]+={0,2}\s*$")

_PLURAL_VERB = {"is": "are", "has": "have", "contains": "contain"}

_MEDIA_NOUN = {
    MediaKind.VIDEO: ("reference video", "reference videos"),
    MediaKind.IMAGE: ("reference image", "reference images"),
    MediaKind.AUDIO: ("audio file", "audio files"),
}


def _is_given(value: Any) -> bool:
    """Optional values that are None, "" or an empty list mean "not set" (they are dropped)."""
    if value is None:
        return False
    if isinstance(value, str) and value == "":
        return False
    if isinstance(value, (list, tuple)) and len(value) == 0:
        return False
    return True


def _url_problem(value: Any, *, allow_base64: bool) -> str | None:
    """Why ``value`` is not an acceptable media reference, or None when it is."""
    if not isinstance(value, str) or not value.strip():
        return "is empty" if isinstance(value, str) else "is not text"
    if value != value.strip():
        return "has spaces at the start or end"
    if value.startswith("data:"):
        if not allow_base64:
            return "is embedded data; only http(s) links are accepted here (upload the file first)"
        if not _DATA_URI.match(value):
            return "is not a valid data:image/...;base64 image"
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return "is not a valid link"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        what = "an http(s) link or a data:image/...;base64 image" if allow_base64 else "an http(s) link"
        return f"must be {what}"
    if any(ch.isspace() for ch in value):
        return "contains spaces"
    return None


def _int_message(spec: FieldSpec) -> str:
    if spec.name == "seed":
        return f"Seed must be a whole number from -1 (random) to {spec.maximum}"
    if spec.name == "execution_expires_after":
        return (
            f"Task expiry must be a whole number of seconds from {spec.minimum} (1 hour) "
            f"to {spec.maximum} (72 hours)"
        )
    unit = " of seconds" if spec.unit == "s" else ""
    return f"{spec.label} must be a whole number{unit} from {spec.minimum} to {spec.maximum}"


def _check_int(spec: FieldSpec, value: Any) -> str | None:
    # bool is an int subclass in Python, but `true` is not a duration to the server.
    if isinstance(value, bool) or not isinstance(value, int):
        return _int_message(spec)
    if (spec.minimum is not None and value < spec.minimum) or (
        spec.maximum is not None and value > spec.maximum
    ):
        return _int_message(spec)
    return None


def _check_text(spec: FieldSpec, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{spec.label} must be text"
    if not value.strip():
        return f"Write a {spec.label.lower()} (1 to {spec.maximum} characters)"
    if spec.minimum is not None and len(value) < spec.minimum:
        return f"{spec.label} must be at least {spec.minimum} characters"
    if spec.maximum is not None and len(value) > spec.maximum:
        return f"{spec.label} is {len(value)} characters long; the limit is {spec.maximum}"
    return None


def _check_choice(spec: FieldSpec, value: Any, model: ModelSpec) -> str | None:
    if isinstance(value, str) and value in spec.choices:
        return None
    options = ", ".join(spec.choices)
    if isinstance(value, str) and value:
        return f"{spec.label} {value} is not available for {model.title}; choose one of {options}"
    return f"{spec.label} must be one of {options}"


def _check_media(spec: FieldSpec, value: Any) -> str | None:
    problem = _url_problem(value, allow_base64=spec.allow_base64)
    return None if problem is None else f"{spec.label} {problem}"


def _check_media_list(spec: FieldSpec, value: Any) -> list[str]:
    singular, plural = _MEDIA_NOUN.get(spec.media, ("item", "items")) if spec.media else ("item", "items")
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [f"{spec.label} must be a list of links"]
    problems: list[str] = []
    if len(value) < spec.min_items:
        problems.append(f"Add at least {spec.min_items} {singular if spec.min_items == 1 else plural} (up to {spec.max_items})")
    if spec.max_items and len(value) > spec.max_items:
        problems.append(f"Use at most {spec.max_items} {plural}; there are {len(value)}")
    # Group items by problem, so ten bad links give one line, not ten.
    by_problem: dict[str, list[int]] = {}
    for index, item in enumerate(value, start=1):
        problem = _url_problem(item, allow_base64=spec.allow_base64)
        if problem is not None:
            by_problem.setdefault(problem, []).append(index)
    for problem, indices in by_problem.items():
        if len(indices) == 1:
            problems.append(f"{singular.capitalize()} {indices[0]} {problem}")
        else:
            listed = ", ".join(str(i) for i in indices[:-1]) + f" and {indices[-1]}"
            plural_problem = re.sub(r"^(is|has|contains)\b", lambda m: _PLURAL_VERB[m.group(1)], problem)
            plural_problem = plural_problem.replace("an http(s) link", "http(s) links").replace(
                "a data:image/...;base64 image", "data:image/...;base64 images")
            problems.append(f"{plural.capitalize()} {listed} {plural_problem}")
    return problems


def _group_label(model: ModelSpec, names: tuple[str, ...]) -> str:
    labels = [model.field(n).label.lower() for n in names if model.has_field(n)]
    if names == ("first_frame_image", "last_frame_image"):
        return "first/last frame images"
    return " or ".join(labels)


def validate_request(spec: ModelSpec, values: Mapping[str, Any]) -> list[FieldError]:
    """Return every problem with ``values`` for ``spec``; an empty list means it may be sent."""
    errors: list[FieldError] = []
    known = {f.name for f in spec.fields}
    for name, value in values.items():
        # An unset leftover (e.g. None from another model's form) is harmless: it is not sent.
        if name not in known and _is_given(value):
            errors.append(FieldError(str(name), f"'{name}' is not a setting of {spec.title}"))

    for fspec in spec.fields:
        value = values.get(fspec.name)
        if not _is_given(value):
            if fspec.required:
                if fspec.kind is FieldKind.MEDIA_LIST:
                    noun = _MEDIA_NOUN[fspec.media][0] if fspec.media else "item"
                    errors.append(FieldError(fspec.name, f"Add at least one {noun} (up to {fspec.max_items})"))
                elif fspec.kind is FieldKind.TEXT:
                    errors.append(FieldError(fspec.name, f"Write a {fspec.label.lower()} (1 to {fspec.maximum} characters)"))
                else:
                    errors.append(FieldError(fspec.name, f"{fspec.label} is required"))
            continue
        messages: list[str] = []
        if fspec.kind is FieldKind.TEXT:
            messages = [m for m in [_check_text(fspec, value)] if m]
        elif fspec.kind is FieldKind.INT:
            messages = [m for m in [_check_int(fspec, value)] if m]
        elif fspec.kind is FieldKind.BOOL:
            if not isinstance(value, bool):
                messages = [f"{fspec.label} must be on or off (true or false)"]
        elif fspec.kind is FieldKind.CHOICE:
            messages = [m for m in [_check_choice(fspec, value, spec)] if m]
        elif fspec.kind is FieldKind.MEDIA:
            messages = [m for m in [_check_media(fspec, value)] if m]
        elif fspec.kind is FieldKind.MEDIA_LIST:
            messages = _check_media_list(fspec, value)
        errors.extend(FieldError(fspec.name, m) for m in messages)

    given = {name for name in known if _is_given(values.get(name))}
    for left, right in spec.exclusive:
        if given.intersection(left) and given.intersection(right):
            target = next(n for n in right if n in given)
            errors.append(FieldError(
                target,
                f"Use either {_group_label(spec, left)} or {_group_label(spec, right)}, not both",
            ))
    if spec.requires_any_of and not given.intersection(spec.requires_any_of):
        labels = [spec.field(n).label.lower() for n in spec.requires_any_of if spec.has_field(n)]
        listed = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
        errors.append(FieldError(spec.requires_any_of[0], f"Add an image: a {listed}"))

    total = 0
    last_list = ""
    for fspec in spec.fields:
        value = values.get(fspec.name)
        if fspec.kind is FieldKind.MEDIA_LIST and isinstance(value, (list, tuple)) and value:
            total += len(value)
            last_list = fspec.name
        elif fspec.kind is FieldKind.MEDIA and _is_given(value):
            total += 1
    if total > MAX_REFERENCE_FILES:
        target = "reference_images" if "reference_images" in given else last_list
        errors.append(FieldError(
            target,
            f"Use at most {MAX_REFERENCE_FILES} reference files in all (videos, images and audio together); there are {total}",
        ))
    return errors


def build_body(spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The exact JSON body for ``values``: validated, unset optional values dropped, lists as lists.

    Defaults are not filled in: the server applies its own, and the body says what the person
    chose. Raises :class:`ValidationError` (with ``field_errors``) when anything is wrong.
    """
    errors = validate_request(spec, values)
    if errors:
        summary = "; ".join(e.message for e in errors)
        raise ValidationError(
            f"invalid request for {spec.slug}: {summary}",
            field_errors=errors,
            status=None,
            user_message=f"Please correct the request: {summary}.",
        )
    body: dict[str, Any] = {}
    for fspec in spec.fields:
        value = values.get(fspec.name)
        if not _is_given(value):
            continue
        body[fspec.name] = list(value) if isinstance(value, tuple) else value
    return body


# ---------------------------------------------------------------------------------------------
# Prompt placeholders: [Video 1], [Image 2], [Audio 1] refer to inputs by 1-based list position.

_PLACEHOLDER = re.compile(r"\[\s*(video|image|audio)\s+(\d+)\s*\]", re.IGNORECASE)
_KIND_WORD = {MediaKind.VIDEO: "Video", MediaKind.IMAGE: "Image", MediaKind.AUDIO: "Audio"}


@dataclass(frozen=True)
class PlaceholderReport:
    """Placeholders that point at no input, and inputs the prompt never mentions."""

    missing: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing


def placeholder_report(prompt: str, counts: Mapping[MediaKind, int]) -> PlaceholderReport:
    """Compare ``[Video n]``-style placeholders in ``prompt`` with how many inputs exist.

    ``missing`` (e.g. ``[Video 2]`` with one video) would make the model guess, so the form
    should warn; ``unreferenced`` inputs are legal but often a forgotten reference.
    """
    referenced: dict[MediaKind, set[int]] = {kind: set() for kind in MediaKind}
    for match in _PLACEHOLDER.finditer(prompt or ""):
        kind = MediaKind(match.group(1).lower())
        referenced[kind].add(int(match.group(2)))
    missing: list[str] = []
    unreferenced: list[str] = []
    for kind in MediaKind:
        count = max(0, int(counts.get(kind, 0)))
        word = _KIND_WORD[kind]
        missing.extend(f"[{word} {n}]" for n in sorted(referenced[kind]) if n < 1 or n > count)
        unreferenced.extend(f"[{word} {n}]" for n in range(1, count + 1) if n not in referenced[kind])
    return PlaceholderReport(missing=missing, unreferenced=unreferenced)


__all__ = [
    "MAX_REFERENCE_FILES",
    "PlaceholderReport",
    "build_body",
    "placeholder_report",
    "validate_request",
]
