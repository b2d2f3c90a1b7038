"""The diagnostics text: what a bug report needs, and never the key or a signed link."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from seedance_desktop import __version__
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings
from seedance_desktop.runtime.diagnostics import diagnostics_text
from seedance_desktop.runtime.logs import close_logging, last_log_lines, parse_log_level, setup_logging

KEY = "sk-live-0123456789abcdef"
SIGNED = "https://cdn.example/out.mp4?expires=99&signature=deadbeefcafe"


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.from_env(tmp_path / "home").ensure()


def test_report_has_versions_settings_paths_ui_facts_and_the_last_log_lines(paths: AppPaths) -> None:
    paths.log_file.write_text("".join(f"line {n}\n" for n in range(100)), encoding="utf-8")
    settings = Settings(window_geometry="QkxPQg==" * 20, max_in_flight=3)
    text = diagnostics_text(paths, settings, ui={"Qt Multimedia backend": "ffmpeg"}, log_lines=5)
    assert f"Seedance Desktop {__version__}" in text and "Python 3." in text and "Platform " in text
    assert "httpx " in text and "PySide6-Essentials " in text
    assert "Qt Multimedia backend: ffmpeg" in text
    assert "max_in_flight = 3" in text and "window_geometry" not in text  # layout blobs left out
    assert f"logs   {paths.log_dir}" in text
    assert text.rstrip().endswith("\n".join(f"line {n}" for n in range(95, 100)))
    assert "line 94" not in text


def test_report_masks_the_key_and_signed_links_wherever_they_are(paths: AppPaths) -> None:
    # As if written before the key was known to the redaction (an old log line):
    paths.log_file.write_text(f"GET {SIGNED} with Authorization: Bearer {KEY}\nkey was {KEY}\n", encoding="utf-8")
    settings = Settings(base_url="https://user:pw@api.example/v1?token=abc")
    text = diagnostics_text(paths, settings, secrets=(KEY,))
    assert KEY not in text and "deadbeefcafe" not in text and "token=abc" not in text and "pw@" not in text
    assert "https://cdn.example/out.mp4?…" in text  # still useful: where, not the signature


def test_log_level_names_and_the_tail_of_a_missing_log(paths: AppPaths) -> None:
    assert parse_log_level("debug") == logging.DEBUG and parse_log_level(None) == logging.INFO
    with pytest.raises(ValueError, match="use one of DEBUG, INFO, WARNING, ERROR"):
        parse_log_level("chatty")
    assert last_log_lines(paths) == []


def test_log_file_honours_the_level_and_rotates(paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    from seedance_desktop.runtime import logs

    monkeypatch.setattr(logs, "LOG_MAX_BYTES", 2000)
    log = logging.getLogger("seedance_desktop.test_diagnostics")
    try:
        setup_logging(paths, level=logging.WARNING)
        log.warning("kept %s", "x" * 50)
        log.info("dropped at WARNING")
        for n in range(100):
            log.error("line %d %s", n, "y" * 40)
    finally:
        close_logging()
    files = sorted(p.name for p in paths.log_dir.iterdir())
    assert files[:2] == ["seedance-desktop.log", "seedance-desktop.log.1"] and len(files) <= 1 + logs.LOG_BACKUPS
    everything = "".join(p.read_text(encoding="utf-8") for p in paths.log_dir.iterdir())
    assert "dropped at WARNING" not in everything and "line 99" in everything
