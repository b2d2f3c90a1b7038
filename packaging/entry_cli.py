"""PyInstaller entry point of the console executable ``seedance-desktop-cli``.

A frozen app has no ``python -m``: demo mode starts the simulator as
``<sys.executable> -m seedance_desktop.simulator ...`` (simulator/launcher.py), and in a frozen
build ``sys.executable`` is this executable. So ``-m seedance_desktop.simulator`` is recognised
here and dispatched to the simulator's own ``main``.
"""

from __future__ import annotations

import multiprocessing
import sys


def _run() -> int:
    argv = sys.argv[1:]
    if argv[:2] == ["-m", "seedance_desktop.simulator"]:
        from seedance_desktop.simulator.__main__ import main as simulator_main

        return simulator_main(argv[2:])
    from seedance_desktop.cli import main

    return main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(_run())
