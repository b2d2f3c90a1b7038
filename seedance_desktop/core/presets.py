"""Presets: a whole recipe (model, every field, media references) saved under a name.

A preset is exactly what the form's ``recipe()`` gives and ``set_recipe()`` takes: the model,
the request fields (URLs of hosted media included) and the local input files by field and
position. Presets live in one JSON file beside the settings (``presets.json``, written
atomically, 0600: prompts are private); export writes the same JSON shape for one or more
presets, and import reads it back with every problem named, so a preset round-trips into an
identical request. A few built-in presets ship with the app and cannot be renamed or deleted.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.api.spec import MODELS
from seedance_desktop.core.fileio import atomic_write_text
from seedance_desktop.core.job import InputFile
from seedance_desktop.errors import SeedanceError

FORMAT = "seedance-desktop-presets"
VERSION = 1


class PresetError(SeedanceError):
    """A preset file or name that cannot be used (``user_message`` says what to fix)."""


@dataclass
class Preset:
    name: str
    model: str
    request: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputFile] = field(default_factory=list)
    builtin: bool = False

    def recipe(self) -> tuple[str, dict[str, Any], list[InputFile]]:
        """(model, request, inputs) for the form's ``set_recipe`` (copies: applying a preset
        and editing the form never changes the preset)."""
        return self.model, copy.deepcopy(self.request), [InputFile(i.field, i.index, i.local_path) for i in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "request": copy.deepcopy(self.request),
                "inputs": [{"field": i.field, "index": i.index, "local_path": i.local_path} for i in self.inputs]}


def _builtin(name: str, model: str, **request: Any) -> Preset:
    return Preset(name=name, model=model, request=request, builtin=True)


_I2V = "bytedance/seedance-2.0-fast-i2v"
_V2V = "bytedance/seedance-2.0-fast-v2v"
#: Starting points, not full recipes: they set the shape and style fields and leave media empty.
BUILTIN_PRESETS: tuple[Preset, ...] = (
    _builtin("Quick draft (480p, 5 s)", _V2V, prompt="", resolution="480p", duration=5, ratio="16:9",
             generate_audio=False, camera_fixed=False),
    _builtin("Social vertical (720p, 9:16, 8 s)", _I2V, prompt="", resolution="720p", duration=8, ratio="9:16",
             generate_audio=True),
    _builtin("Product turntable (fixed camera)", _I2V,
             prompt="The product in [Image 1] turns slowly on a turntable, soft studio light, clean background.",
             resolution="720p", duration=6, ratio="1:1", camera_fixed=True, generate_audio=False),
)


def preset_from_dict(data: object, *, where: str = "preset") -> Preset:
    """Read one preset; raise :class:`PresetError` naming what is wrong."""
    if not isinstance(data, dict):
        raise PresetError(f"{where}: not an object", user_message=f"{where} is not a preset (expected a JSON object).")
    name = data.get("name")
    model = data.get("model")
    request = data.get("request", {})
    inputs = data.get("inputs", [])
    if not isinstance(name, str) or not name.strip():
        raise PresetError(f"{where}: no name", user_message=f"{where} has no name; give it a \"name\".")
    if not isinstance(model, str) or model not in MODELS:
        raise PresetError(f"{where}: model {model!r}",
                          user_message=f"Preset {name!r} names an unknown model {model!r}; known: {', '.join(MODELS)}.")
    if not isinstance(request, dict):
        raise PresetError(f"{where}: request", user_message=f"Preset {name!r}: \"request\" must be an object of fields.")
    unknown = [k for k in request if not MODELS[model].has_field(str(k))]
    if unknown:
        raise PresetError(f"{where}: unknown fields {unknown}",
                          user_message=f"Preset {name!r}: {', '.join(map(str, unknown))} is not a setting of {MODELS[model].title}.")
    if not isinstance(inputs, list):
        raise PresetError(f"{where}: inputs", user_message=f"Preset {name!r}: \"inputs\" must be a list.")
    files: list[InputFile] = []
    for n, item in enumerate(inputs, 1):
        if (not isinstance(item, dict) or not isinstance(item.get("field"), str) or not isinstance(item.get("index"), int)
                or not isinstance(item.get("local_path"), str)):
            raise PresetError(f"{where}: input {n}",
                              user_message=f"Preset {name!r}: input {n} needs \"field\", \"index\" and \"local_path\".")
        files.append(InputFile(field=item["field"], index=item["index"], local_path=item["local_path"]))
    return Preset(name=name.strip(), model=model, request=copy.deepcopy(request), inputs=files)


def export_text(presets: list[Preset]) -> str:
    """The JSON text of ``presets`` (what export writes and import reads)."""
    return json.dumps({"format": FORMAT, "version": VERSION, "presets": [p.to_dict() for p in presets]},
                      indent=2, sort_keys=True) + "\n"


def import_text(text: str) -> list[Preset]:
    """Presets from exported JSON (or a single preset object); :class:`PresetError` if unusable."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PresetError(f"not JSON: {exc}", user_message=f"The file is not valid JSON ({exc}).") from None
    items = data.get("presets") if isinstance(data, dict) and "presets" in data else [data]
    if not isinstance(items, list):
        raise PresetError("presets not a list", user_message="\"presets\" must be a list of presets.")
    return [preset_from_dict(item, where=f"Preset {n}") for n, item in enumerate(items, 1)]


class PresetStore:
    """The person's presets in ``path`` plus the built-in ones. Blocking file I/O: the window
    calls it off the GUI thread (it is small, but the rule is the rule)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def user_presets(self) -> list[Preset]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise PresetError(str(exc), user_message=f"Could not read the presets file {self.path} ({exc}).") from exc
        return import_text(text)

    def all(self) -> list[Preset]:
        return [*[copy.deepcopy(p) for p in BUILTIN_PRESETS], *self.user_presets()]

    def get(self, name: str) -> Preset:
        for preset in self.all():
            if preset.name == name:
                return preset
        raise PresetError(f"no preset {name!r}", user_message=f"There is no preset named {name!r}.")

    def _write(self, presets: list[Preset]) -> None:
        atomic_write_text(self.path, export_text(presets), mode=0o600)

    def _check_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise PresetError("empty name", user_message="Give the preset a name.")
        if any(p.name == name for p in BUILTIN_PRESETS):
            raise PresetError("built-in name", user_message=f"{name!r} is a built-in preset; choose another name.")
        return name

    def save(self, preset: Preset) -> Preset:
        """Add ``preset``, replacing a user preset of the same name."""
        preset = Preset(self._check_name(preset.name), preset.model, copy.deepcopy(preset.request),
                        [InputFile(i.field, i.index, i.local_path) for i in preset.inputs])
        others = [p for p in self.user_presets() if p.name != preset.name]
        self._write([*others, preset])
        return preset

    def rename(self, old: str, new: str) -> None:
        new = self._check_name(new)
        presets = self.user_presets()
        if not any(p.name == old for p in presets):
            raise PresetError(f"no user preset {old!r}", user_message=f"{old!r} is not one of your presets (built-in ones cannot be renamed).")
        if new != old and any(p.name == new for p in presets):
            raise PresetError(f"{new!r} exists", user_message=f"A preset named {new!r} already exists.")
        for preset in presets:
            if preset.name == old:
                preset.name = new
        self._write(presets)

    def delete(self, name: str) -> None:
        presets = self.user_presets()
        if not any(p.name == name for p in presets):
            raise PresetError(f"no user preset {name!r}", user_message=f"{name!r} is not one of your presets (built-in ones cannot be deleted).")
        self._write([p for p in presets if p.name != name])

    def import_file(self, path: str | Path) -> list[Preset]:
        """Add every preset in an exported file (same names replace yours); return them."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PresetError(str(exc), user_message=f"Could not read {path} ({exc}).") from exc
        imported = import_text(text)
        for preset in imported:
            self.save(preset)
        return imported

    def export_file(self, names: list[str], path: str | Path) -> None:
        atomic_write_text(Path(path), export_text([self.get(n) for n in names]), mode=0o600)


def presets_file(config_dir: Path) -> Path:
    return config_dir / "presets.json"


__all__ = ["BUILTIN_PRESETS", "Preset", "PresetError", "PresetStore", "export_text", "import_text",
           "preset_from_dict", "presets_file"]
