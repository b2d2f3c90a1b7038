"""Entry point: ``seedance-desktop`` (the window) and ``python -m seedance_desktop cli ...``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] == "cli":
        from seedance_desktop.cli import main as cli_main

        return int(cli_main(args[1:]) or 0)
    from seedance_desktop.ui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
