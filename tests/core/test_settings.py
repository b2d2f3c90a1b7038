"""Settings: round trip, damaged/old files, validation, paths overrides."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from seedance_desktop.core.paths import AppPaths, default_output_dir
from seedance_desktop.core.settings import SETTINGS_VERSION, Settings, SettingsStore


def test_defaults() -> None:
    s = Settings()
    assert s.base_url == "https://api.modellix.ai"
    assert s.max_in_flight == 2 and s.demo_mode is None and s.notify_on_completion is True
    assert s.output_dir == default_output_dir() and s.output_dir.name == "Seedance"
    assert s.allow_plaintext_key_file is False
    assert s.problems() == {}


def test_round_trip_is_private(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "cfg" / "settings.json")
    assert store.load() == Settings()  # missing file: defaults
    s = Settings(base_url="http://127.0.0.1:8123", output_dir=tmp_path / "out", max_in_flight=5, demo_mode=True,
                 prices={"m": {"480p": 0.1}}, window_geometry="AAAA", last_model="x/y")
    store.save(s)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == s
    assert store.problems == []
    assert [p.name for p in store.path.parent.iterdir()] == ["settings.json"]


def test_damaged_file_gives_defaults_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ not json")
    store = SettingsStore(path)
    assert store.load() == Settings()
    assert "damaged" in store.problems[0]
    assert (tmp_path / "settings.json.bad").read_text() == "{ not json"
    path.write_text("[1, 2]")
    assert store.load() == Settings()


def test_bad_values_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({
        "version": SETTINGS_VERSION, "max_in_flight": "lots", "notify_on_completion": 0,
        "base_url": "http://evil.example", "naming_template": "{date}_{bogus}", "future_key": 1,
        "demo_mode": False, "output_dir": str(tmp_path),
    }))
    store = SettingsStore(path)
    s = store.load()
    assert s.max_in_flight == 2 and s.notify_on_completion is True
    assert s.base_url == "https://api.modellix.ai"
    assert s.naming_template == Settings().naming_template
    assert s.demo_mode is False and s.output_dir == tmp_path
    assert len(store.problems) == 4
    assert any("https" in p for p in store.problems)


def test_migrates_version_1(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"max_concurrent": 4, "output_folder": str(tmp_path / "v")}))
    s = SettingsStore(path).load()
    assert s.version == SETTINGS_VERSION and s.max_in_flight == 4 and s.output_dir == tmp_path / "v"


def test_validation_messages() -> None:
    s = Settings(base_url="ftp://x", max_in_flight=0, naming_template="static", output_dir=Path("relative"))
    problems = s.problems()
    assert set(problems) == {"base_url", "max_in_flight", "naming_template", "output_dir"}
    assert "1 to 100" in problems["max_in_flight"]
    with pytest.raises(ValueError):
        SettingsStore(Path("/nonexistent/never-written.json")).save(s)
    assert Settings(max_in_flight=100).problems() == {}
    assert Settings(max_in_flight=101).problems().keys() == {"max_in_flight"}
    assert Settings(prices={"m": {"480p": -1}}).problems().keys() == {"prices"}


def test_settings_and_runtime_share_one_base_url_rule() -> None:
    """The dialog used to accept an address with a query string that the runtime refused."""
    assert "base_url" in Settings(base_url="https://x.example/?a=1").problems()
    assert "base_url" not in Settings(base_url="https://api.modellix.ai").problems()


def test_app_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = AppPaths.from_env(tmp_path / "home")
    assert explicit.config_dir == tmp_path / "home" / "config"
    assert explicit.db_file == tmp_path / "home" / "data" / "jobs.sqlite3"
    monkeypatch.setenv("SEEDANCE_HOME", str(tmp_path / "env"))
    env = AppPaths.from_env().ensure()
    assert env.settings_file == tmp_path / "env" / "config" / "settings.json"
    assert env.key_file.parent == env.config_dir and env.log_dir.is_dir()
    assert stat.S_IMODE(env.data_dir.stat().st_mode) == 0o700
    monkeypatch.delenv("SEEDANCE_HOME")
    default = AppPaths.from_env()
    assert "seedance-desktop" in str(default.config_dir)
    # conftest points XDG_CONFIG_HOME at a sandbox: platformdirs must honour it.
    assert default.config_dir.parent == Path(os.environ["XDG_CONFIG_HOME"])
