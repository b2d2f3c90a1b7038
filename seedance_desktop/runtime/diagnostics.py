"""The diagnostics text a person pastes into a bug report ("Copy diagnostics").

One function for both faces: versions, platform, where the files are, the settings (which hold
no secret: the key lives in the keyring or its own file), and the last log lines. The whole text
goes through the process-wide redaction (``api.redact``) at the end, so the API key (registered
when the runtime read it, or passed here), ``Bearer`` tokens and signed query strings cannot
reach the clipboard even if one slipped into a log line or a setting.

Blocking (reads the log file and package metadata): call it from a worker thread.
"""

from __future__ import annotations

import dataclasses
import platform
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from seedance_desktop import __version__
from seedance_desktop.api.redact import install_log_redaction
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.runtime.logs import last_log_lines

#: Distributions whose versions matter when something breaks (Qt's own version comes from the UI).
PACKAGES = ("PySide6-Essentials", "PySide6-Addons", "qasync", "httpx", "av", "numpy", "aiohttp",
            "keyring", "platformdirs")
#: Window layout blobs: long base64 noise in a bug report.
_LAYOUT = frozenset({"window_geometry", "window_state", "splitter_state"})


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # a frozen build may not carry every dist-info
        return "not found"


def _ffmpeg_of_pyav() -> str:
    try:
        import av

        return ".".join(str(part) for part in av.library_versions.get("libavcodec", ()))
    except Exception:  # noqa: BLE001 - a diagnostics report must never fail on one line
        return "unknown"


def settings_lines(settings: Any) -> list[str]:
    """``name = value`` for every setting except the window layout."""
    if not dataclasses.is_dataclass(settings) or isinstance(settings, type):
        return ["(settings not loaded)"]
    return [f"  {field.name} = {getattr(settings, field.name)!r}"
            for field in dataclasses.fields(settings) if field.name not in _LAYOUT]


def diagnostics_text(paths: AppPaths, settings: Any, *, ui: Mapping[str, str] | None = None,
                     secrets: Iterable[str] = (), log_lines: int = 60) -> str:
    """The report: versions, platform, ``ui`` facts the window passes in (Qt version, Qt
    Multimedia backend, mode), paths, settings, the last ``log_lines`` log lines; redacted."""
    lines = [
        f"Seedance Desktop {__version__}",
        f"Python {sys.version.split()[0]} ({platform.python_implementation()})"
        f"{' frozen' if getattr(sys, 'frozen', False) else ''}",
        f"Platform {platform.platform()} ({platform.machine()})",
    ]
    lines += [f"{name} {_version(name)}" for name in PACKAGES]
    lines.append(f"PyAV's libavcodec {_ffmpeg_of_pyav()}")
    for name, value in (ui or {}).items():
        lines.append(f"{name}: {value}")
    lines += [
        "",
        "Paths:",
        f"  config {paths.config_dir}",
        f"  data   {paths.data_dir}",
        f"  cache  {paths.cache_dir}",
        f"  logs   {paths.log_dir}",
        "",
        "Settings:",
        *settings_lines(settings),
        "",
        f"Last {log_lines} log lines ({paths.log_file}):",
        *last_log_lines(paths, log_lines),
    ]
    redactor = install_log_redaction(secrets)
    return redactor("\n".join(lines)) + "\n"


__all__ = ["PACKAGES", "diagnostics_text", "settings_lines"]
