"""The desktop entry and AppStream metadata are valid, and the per-user install script puts the
entry, metadata and icons where XDG desktops look (and removes them again)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "resources" / "install_desktop_entry.py"
APP_ID = "io.github.seedance_desktop.SeedanceDesktop"


def run_script(*args: str, data_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_installed_entry_is_valid_and_starts_the_given_executable(tmp_path: Path) -> None:
    exe = tmp_path / "bundle dir" / "seedance-desktop"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    data_home = tmp_path / "share"
    done = run_script("--exec", str(exe), data_home=data_home)
    assert done.returncode == 0, done.stderr
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    text = entry.read_text(encoding="utf-8")
    assert f'Exec="{exe}" %F' in text and f"TryExec={exe}" in text and "Icon=seedance-desktop" in text
    assert subprocess.run(["desktop-file-validate", str(entry)], capture_output=True).returncode == 0
    assert (data_home / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (data_home / "icons" / "hicolor" / "scalable" / "apps" / "seedance-desktop.svg").is_file()
    assert (data_home / "icons" / "hicolor" / "48x48" / "apps" / "seedance-desktop.png").is_file()
    removed = run_script("--uninstall", data_home=data_home)
    assert removed.returncode == 0 and not entry.exists()
    assert not any(p.is_file() for p in data_home.rglob("seedance-desktop*"))


def test_without_the_app_on_path_the_script_says_what_to_do(tmp_path: Path) -> None:
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(tmp_path)  # nothing called seedance-desktop here
    try:
        done = run_script(data_home=tmp_path / "share")
    finally:
        os.environ["PATH"] = env_path
    assert done.returncode == 2 and "pipx install ." in done.stderr and "--exec" in done.stderr


@pytest.mark.parametrize("tool, args", [("desktop-file-validate", [f"resources/{APP_ID}.desktop"]),
                                        ("appstreamcli", ["validate", "--no-net", f"resources/{APP_ID}.metainfo.xml"])])
def test_repository_metadata_validates(tool: str, args: list[str]) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed (.ci/run installs it)")
    done = subprocess.run([tool, *args], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
