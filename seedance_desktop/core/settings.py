"""Typed, versioned user settings in one JSON file.

Loading never crashes the app: a missing file gives defaults; a damaged file is kept aside as
``settings.json.bad`` and defaults are used; an old version is migrated; unknown keys are ignored
and a bad value falls back to its default (with a problem noted in ``SettingsStore.problems``).
Saving is atomic (temp file + fsync + rename) and private (0600). The API key is NOT a setting:
it lives in :mod:`seedance_desktop.core.secrets`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedance_desktop.api.errors import ConfigurationError
from seedance_desktop.api.defaults import DEFAULT_BASE_URL, DEFAULT_MODEL
from seedance_desktop.api.urls import check_base_url
from seedance_desktop.core.fileio import atomic_write_text
from seedance_desktop.core.outputs import DEFAULT_TEMPLATE, check_template
from seedance_desktop.core.paths import default_output_dir

SETTINGS_VERSION = 2
MAX_IN_FLIGHT_RANGE = (1, 100)


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    base_url: str = DEFAULT_BASE_URL
    output_dir: Path = field(default_factory=default_output_dir)
    naming_template: str = DEFAULT_TEMPLATE
    #: Tasks in flight at once; Modellix's lowest tier allows 2.
    max_in_flight: int = 2
    #: None = automatic (demo when no key is configured), True/False = forced by the user.
    demo_mode: bool | None = None
    #: Price overrides, USD per output second: {model slug: {resolution: price}}.
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Budget caps, USD (None: no cap). A job whose estimate would cross one is held before
    #: sending until the person chooses "Send anyway" (``core.spend_guard``).
    daily_cap: float | None = None
    monthly_cap: float | None = None
    notify_on_completion: bool = True
    #: Qt state blobs, base64 text (never pickled objects).
    window_geometry: str = ""
    window_state: str = ""
    splitter_state: str = ""
    last_model: str = DEFAULT_MODEL
    #: The folder the last file dialog picked from (the next dialog opens there).
    recent_folder: str = ""
    #: The user agreed to keep the key in a 0600 file when no secure store exists.
    allow_plaintext_key_file: bool = False

    def problems(self) -> dict[str, str]:
        """Field name -> friendly message, for every value that cannot be used."""
        found: dict[str, str] = {}
        try:
            check_base_url(self.base_url)
        except ConfigurationError as error:
            found["base_url"] = error.user_message
        low, high = MAX_IN_FLIGHT_RANGE
        if not isinstance(self.max_in_flight, int) or isinstance(self.max_in_flight, bool) or not low <= self.max_in_flight <= high:
            found["max_in_flight"] = f"Tasks in flight must be a whole number from {low} to {high}."
        template_problem = check_template(self.naming_template)
        if template_problem:
            found["naming_template"] = template_problem
        if not str(self.output_dir).strip():
            found["output_dir"] = "Choose a folder for finished videos."
        elif not Path(self.output_dir).expanduser().is_absolute():
            found["output_dir"] = "The output folder must be a full path (for example /home/you/Videos/Seedance)."
        for name, label in (("daily_cap", "daily"), ("monthly_cap", "monthly")):
            if not _valid_cap(getattr(self, name)):
                found[name] = f"The {label} budget cap must be an amount in USD of 0 or more, or empty for no cap."
        if not _valid_prices(self.prices):
            found["prices"] = "Prices must be non-negative numbers per model and resolution."
        return found

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["output_dir"] = str(self.output_dir)
        return data


def _valid_cap(value: object) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)


def _valid_prices(prices: object) -> bool:
    if not isinstance(prices, dict):
        return False
    for model, table in prices.items():
        if not isinstance(model, str) or not isinstance(table, dict):
            return False
        for res, price in table.items():
            if not isinstance(res, str) or isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
                return False
    return True


# ------------------------------------------------------------------------------ migrations


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Pre-release files used ``max_concurrent`` and ``output_folder``."""
    if "max_concurrent" in data and "max_in_flight" not in data:
        data["max_in_flight"] = data.pop("max_concurrent")
    if "output_folder" in data and "output_dir" not in data:
        data["output_dir"] = data.pop("output_folder")
    return data


#: MIGRATIONS[v] turns a version-v dict into version v+1. Append only.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        version = 1
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](dict(data))
        version += 1
    data["version"] = SETTINGS_VERSION
    return data


# ------------------------------------------------------------------------------ the file


def _type_ok(name: str, value: Any) -> bool:
    defaults = Settings()
    if name == "demo_mode":
        return value is None or isinstance(value, bool)
    if name == "output_dir":
        return isinstance(value, str)
    if name == "prices":
        return _valid_prices(value)
    if name in ("daily_cap", "monthly_cap"):
        return _valid_cap(value)
    default = getattr(defaults, name)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(default))


class SettingsStore:
    """Loads and saves :class:`Settings` at ``path`` (usually ``AppPaths.settings_file``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        #: Friendly notes about what load() had to repair (empty when all was well).
        self.problems: list[str] = []

    def load(self) -> Settings:
        self.problems = []
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"Could not read the settings file ({exc}); using defaults.")
            return Settings()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            backup = self.path.with_name(self.path.name + ".bad")
            try:
                os.replace(self.path, backup)
                where = f" It was kept as {backup.name}."
            except OSError:
                where = ""
            self.problems.append(f"The settings file was damaged ({exc}); defaults are in use.{where}")
            return Settings()
        return self._from_dict(migrate(data))

    def _from_dict(self, data: dict[str, Any]) -> Settings:
        settings = Settings()
        names = {f.name for f in dataclasses.fields(Settings)} - {"version"}
        for name in names & set(data):
            value = data[name]
            if not _type_ok(name, value):
                self.problems.append(f"Ignored an invalid value for {name!r}; using the default.")
                continue
            setattr(settings, name, Path(value) if name == "output_dir" else value)
        # Values of the right type but out of range (e.g. an http base URL) are reset too.
        for name, message in settings.problems().items():
            setattr(settings, name, getattr(Settings(), name))
            self.problems.append(f"{message} The default was restored.")
        return settings

    def save(self, settings: Settings) -> None:
        """Write atomically with mode 0600. Raises ValueError (friendly) on invalid settings."""
        found = settings.problems()
        if found:
            raise ValueError(" ".join(found.values()))
        settings.version = SETTINGS_VERSION
        atomic_write_text(self.path, json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n", mode=0o600)
