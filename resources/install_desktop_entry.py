"""Install (or remove) Seedance Desktop's menu entry, AppStream metainfo and icons for the
current user, following the XDG base directories (``$XDG_DATA_HOME``, default ``~/.local/share``).

    python resources/install_desktop_entry.py                 # the seedance-desktop on PATH
    python resources/install_desktop_entry.py --exec /opt/seedance-desktop/seedance-desktop
    python resources/install_desktop_entry.py --uninstall

``--exec`` points the entry at a frozen bundle (packaging/) or any other executable; without it
the ``seedance-desktop`` found on PATH is used (``pip``/``pipx install`` put it there). Only the
Python standard library is needed, so any Python 3.11+ can run it from a checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

APP_ID = "io.github.seedance_desktop.SeedanceDesktop"
ICON_NAME = "seedance-desktop"
HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "seedance_desktop" / "data"
PNG_SIZES = (16, 32, 48, 64, 128, 256)


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets(home: Path) -> dict[str, Path]:
    found = {
        "desktop": home / "applications" / f"{APP_ID}.desktop",
        "metainfo": home / "metainfo" / f"{APP_ID}.metainfo.xml",
        "svg": home / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg",
    }
    for size in PNG_SIZES:
        found[f"png{size}"] = home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
    return found


#: Characters the Desktop Entry spec reserves in Exec: an argument with one must be quoted.
RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def exec_argument(path: str) -> str:
    """``path`` as one Exec argument: double-quoted when needed, with ``"`$\\`` escaped by a
    backslash, and every backslash then doubled for the file's own string escaping."""
    if not RESERVED & set(path):
        return path
    inner = "".join("\\\\" + ("\\\\" if c == "\\" else c) if c in '"`$\\' else c for c in path)
    return f'"{inner}"'


def desktop_entry(executable: str) -> str:
    """The repository's entry with ``Exec``/``TryExec`` pointing at ``executable``."""
    lines = []
    for line in (HERE / f"{APP_ID}.desktop").read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_argument(executable)} %F"
        elif line.startswith("TryExec="):
            line = "TryExec=" + executable.replace("\\", "\\\\")
        lines.append(line)
    return "\n".join(lines) + "\n"


def refresh_caches(home: Path) -> None:
    """Tell the desktop about the change; the tools are optional."""
    for command in (["update-desktop-database", "-q", str(home / "applications")],
                    ["gtk-update-icon-cache", "-q", "-t", "-f", str(home / "icons" / "hicolor")]):
        if shutil.which(command[0]):
            subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def install(executable: str, home: Path) -> list[Path]:
    paths = targets(home)
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    paths["desktop"].write_text(desktop_entry(executable), encoding="utf-8")
    shutil.copyfile(HERE / f"{APP_ID}.metainfo.xml", paths["metainfo"])
    shutil.copyfile(DATA / f"{ICON_NAME}.svg", paths["svg"])
    for size in PNG_SIZES:
        shutil.copyfile(DATA / f"{ICON_NAME}-{size}.png", paths[f"png{size}"])
    refresh_caches(home)
    return list(paths.values())


def uninstall(home: Path) -> list[Path]:
    removed = [path for path in targets(home).values() if path.is_file()]
    for path in removed:
        path.unlink()
    refresh_caches(home)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install Seedance Desktop's menu entry and icons for this user.")
    parser.add_argument("--exec", dest="executable", metavar="PATH",
                        help="the executable the entry starts (default: seedance-desktop on PATH)")
    parser.add_argument("--uninstall", action="store_true", help="remove what an install added")
    args = parser.parse_args(argv)
    home = data_home()
    if args.uninstall:
        for path in uninstall(home):
            print(f"removed {path}")
        return 0
    executable = args.executable or shutil.which("seedance-desktop")
    if not executable:
        print("seedance-desktop is not on PATH: install the app first (pipx install .), or pass "
              "--exec with the path of the executable.", file=sys.stderr)
        return 2
    executable = str(Path(executable).resolve())
    for path in install(executable, home):
        print(f"installed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
