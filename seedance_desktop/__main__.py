"""Entry point: ``seedance-desktop [FILE...]`` (the window) and ``python -m seedance_desktop cli ...``.

Files named on the command line go to the form of the window, which is the one already
running when there is one (see ``ui/single_instance.py``): a second launch hands them over,
brings that window forward and exits instead of opening a second, dead window.
"""

from __future__ import annotations

import argparse
import os
import sys


def split_window_args(args: list[str]) -> tuple[list[str], list[str], str | None]:
    """(options for the window, files to open, --home) from the window's command line. Only
    what the single-instance check needs is read here; the window parses its own options."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--home", "--config-dir", dest="home")
    parser.add_argument("--log-level")  # takes a value: it is not a file
    for flag in ("--demo", "--self-test"):  # flags: the file after one is a file
        parser.add_argument(flag, action="store_true")
    parser.add_argument("files", nargs="*")
    known, options = parser.parse_known_intermixed_args(args)
    if known.demo:
        options.append("--demo")
    if known.self_test:
        options.append("--self-test")
    if known.log_level:
        options += ["--log-level", known.log_level]
    if known.home:
        options += ["--home", known.home]
    return options, list(known.files), known.home


def launch_window(args: list[str]) -> int:
    from seedance_desktop.ui.app import main as app_main

    options, files, home = split_window_args(args)
    if "--version" in options:
        return app_main(["--version"])  # prints and exits: no window, no instance check
    if any(option in ("-h", "--help") for option in options):
        try:
            return app_main(options)  # help needs no window, no instance check
        finally:  # the window's parser knows nothing of files: they are read here
            print("\nFILE ...: videos, images or audio to add to the form (by kind); when the window "
                  "is already open, they go to it and it comes forward.")
    # Before the QApplication exists: Qt reads its logging rules once (see ui/app.py).
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
    from PySide6.QtWidgets import QApplication

    from seedance_desktop.core.paths import AppPaths
    from seedance_desktop.ui.single_instance import claim

    # The window reuses this application object (ui.app.main takes QApplication.instance()).
    QApplication.instance() or QApplication(sys.argv[:1])
    if claim(AppPaths.from_env(home).ensure(), files) is None:
        return 0  # the running window has the files and came forward
    return app_main(options)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] == "cli":
        from seedance_desktop.cli import main as cli_main

        return int(cli_main(args[1:]) or 0)
    return launch_window(args)


if __name__ == "__main__":
    sys.exit(main())
