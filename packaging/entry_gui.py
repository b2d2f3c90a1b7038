"""PyInstaller entry point of the windowed executable ``seedance-desktop``.

Like ``entry_cli.py`` it recognises ``-m seedance_desktop.simulator`` (the demo simulator child
re-runs this executable) and ``cli ...`` (``seedance-desktop cli ...`` is the command line).
"""

from __future__ import annotations

import multiprocessing
import sys


def _run() -> int:
    argv = sys.argv[1:]
    if argv[:2] == ["-m", "seedance_desktop.simulator"]:
        from seedance_desktop.simulator.__main__ import main as simulator_main

        return simulator_main(argv[2:])
    if argv[:1] == ["cli"]:
        from seedance_desktop.cli import main as cli_main

        return cli_main(argv[1:])
    from seedance_desktop.__main__ import main

    result = main()
    return int(result or 0)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(_run())
