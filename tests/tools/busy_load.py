"""Keep N cores busy for a bounded time: a background load for running the suite on a busy machine.

    python tests/tools/busy_load.py                      # every core, 30 minutes, then stops
    python tests/tools/busy_load.py --cores 2 --seconds 600
    python tests/tools/busy_load.py --cores 2 -- .ci/run # load for exactly as long as the command

Each core gets one child process spinning on arithmetic (no I/O, no memory growth). The load is
bounded: it stops by itself after ``--seconds`` (at most 2 hours; a wrapped command then runs
on without it), when the wrapped command exits (its exit status is this script's), or on
SIGINT/SIGTERM (which stop the command too); the busy children also stop if this parent dies
(they watch its pid).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import time

MAX_SECONDS = 2 * 3600


def spin(deadline: float, parent: int) -> None:
    """Burn one core until the deadline, or until the parent process is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    x = 0
    while True:
        for _ in range(200_000):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        if time.monotonic() >= deadline or os.getppid() != parent:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="busy processes (default: every core)")
    parser.add_argument("--seconds", type=float, default=1800.0, help=f"stop after this long (max {MAX_SECONDS})")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="after --: run this under the load, then stop")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    seconds = max(0.0, min(args.seconds, MAX_SECONDS))
    deadline = time.monotonic() + seconds
    workers = [multiprocessing.Process(target=spin, args=(deadline, os.getpid()), daemon=True) for _ in range(max(1, args.cores))]
    for worker in workers:
        worker.start()
    stop = {"now": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"busy_load: {len(workers)} busy process(es) for at most {seconds:.0f} s", file=sys.stderr, flush=True)
    rc = 0
    child = subprocess.Popen(command) if command else None
    try:
        while not stop["now"] and time.monotonic() < deadline:
            if child is not None and child.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(5)
        if child is not None:
            if stop["now"] and child.poll() is None:  # interrupted: stop the command too
                child.terminate()
                try:
                    child.wait(30)
                except subprocess.TimeoutExpired:
                    child.kill()
            elif child.poll() is None:  # the load's time is up: the command runs on, unloaded
                print("busy_load: time is up; the command keeps running without the load",
                      file=sys.stderr, flush=True)
            rc = child.wait()
    print("busy_load: stopped", file=sys.stderr, flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
