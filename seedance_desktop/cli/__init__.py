"""The command line face: ``seedance-desktop-cli`` (also ``python -m seedance_desktop cli``).

* ``parser``   -- the argparse tree, exit codes and their help text;
* ``commands`` -- one function per command over the shared runtime (``runtime/``) and engine;
* ``submit``   -- turns ``submit`` options into a checked recipe;
* ``wait``, ``download`` -- following a job to its end, fetching its result;
* ``output``   -- what is printed (text and ``--json``), never a key or a signed URL.
"""

from seedance_desktop.cli.commands import main
from seedance_desktop.cli.parser import EXIT_INTERRUPTED, EXIT_JOB_FAILED

__all__ = ["EXIT_INTERRUPTED", "EXIT_JOB_FAILED", "main"]
