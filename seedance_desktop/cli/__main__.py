"""``python -m seedance_desktop.cli``: the command line."""

import sys

from seedance_desktop.cli import main

sys.exit(main())
