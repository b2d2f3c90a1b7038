"""``python -m seedance_desktop.simulator``: serve a local Modellix-compatible API.

Prints ``SIMULATOR_URL=...`` and ``SIMULATOR_KEY=...`` on stdout (then nothing else), serves until
SIGTERM/SIGINT, and removes its temporary data directory on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from seedance_desktop.simulator.faults import Fault
from seedance_desktop.simulator.launcher import KEY_PREFIX, URL_PREFIX, start_site, stop_site
from seedance_desktop.simulator.server import Simulator, SimulatorConfig

_EPILOG = """\
fault syntax (repeat --fault for several):
  ENDPOINT:OPTION=VALUE,...   endpoints: submit task upload files_list files_delete validate
                              balance models result uploaded any submit_plain submit_async
  options: status=N (JSON error envelope), html=N (HTML error page), kind=KIND or a bare KIND
           (status html_status slow drop malformed_json truncate fail_task expire_result
           untyped string_resources dead_last_frame refuse_with_task body trickle redirect
           deep_json huge_json task_id result_url),
           retry_after=TEXT (inf, 1e18, an HTTP date...), reset=S (X-RateLimit-Reset = now+S),
           reset_raw=TEXT, limit=N, remaining=N, delay=S, times=N (-1 = forever), for=S (every
           request for S seconds), message=TEXT, after_bytes=N, create_task=true|false,
           option=TEXT (body=html|zip|empty|gzip|cut, location=URL, mode=other|missing|blank),
           rate=BYTES_PER_S, depth=N, http_status=N,
           probability=P (hit each matching request with chance P; seeded, repeatable)
  create_task=false on submit/upload: a dropped/slow request does nothing (default: it acts,
  which is the dangerous case a client must survive: a paid task whose id it never saw)
examples:
  --fault "submit:status=429,retry_after=2,times=3"
  --fault "task:html=502"          --fault "submit:drop"
  --fault "result:truncate,after_bytes=100000"   --fault "submit:fail_task,message=Face detected"
  --fault "task:html=503,times=-1,probability=0.2"   (chaos: one poll in five fails)
  --fault "result:status=404,for=2"   --fault "task:untyped"   --fault "result:body,option=cut"
  --fault "submit:refuse_with_task,status=429,http_status=200"   --fault "task:status=429,retry_after=inf"
  --fault "result:redirect,location=http://169.254.169.254/"   --fault "submit_plain:status=404,times=-1"
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m seedance_desktop.simulator",
        description=(
            "A local, simulated Modellix API for Seedance Desktop's demo mode and tests.\n"
            "It accepts the same requests as api.modellix.ai and answers with real (but clearly\n"
            "labelled SIMULATED) H.264 videos made from the first reference clip or image.\n\n"
            "On start it prints two lines on stdout and then serves until SIGTERM or Ctrl+C:\n"
            "  SIMULATOR_URL=http://127.0.0.1:PORT\n"
            "  SIMULATOR_KEY=KEY"
        ),
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--key", help="API key clients must send as 'Authorization: Bearer KEY' "
                                      "(default: a random key, printed on start)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="simulated seconds per real second; 60 = a simulated minute per second")
    parser.add_argument("--pending-seconds", type=float, default=2.0,
                        help="simulated seconds a task stays pending (default 2)")
    parser.add_argument("--processing-seconds", type=float, nargs=2, metavar=("MIN", "MAX"),
                        default=(30.0, 90.0), help="simulated processing time range (default 30 90)")
    parser.add_argument("--balance", type=float, default=1000.0, help="starting balance in USD (default 1000)")
    parser.add_argument("--concurrent-limit", type=int, default=None,
                        help="answer 429 'Concurrent limit exceeded' beyond N unfinished tasks")
    parser.add_argument("--requests-per-minute", type=int, default=None,
                        help="answer 429 with X-RateLimit-* headers beyond N API requests per "
                             "simulated minute")
    parser.add_argument("--upload-quota", type=int, default=10, help="files kept before uploads get 429")
    parser.add_argument("--random-seeds", action="store_true",
                        help="seed -1 draws a random seed per task (default: renders as seed 0, cacheable)")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="inject a fault (see below); repeatable")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep uploads and renders here (default: a temp dir removed on exit)")
    parser.add_argument("--persist", action="store_true",
                        help="keep tasks, uploads and the balance in DATA_DIR/state.json and continue "
                             "them on the next start with the same --data-dir (demo mode uses it)")
    parser.add_argument("--watch-stdin", action="store_true",
                        help="stop when stdin reaches EOF; launchers use it so the simulator never "
                             "outlives the app that started it, even after a crash")
    parser.add_argument("--access-log", action="store_true",
                        help="log every request (method, path, status; never query strings) on stderr")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    config = SimulatorConfig(
        time_scale=args.time_scale, pending_seconds=args.pending_seconds,
        processing_seconds=tuple(args.processing_seconds), balance=args.balance,
        concurrent_limit=args.concurrent_limit, upload_quota=args.upload_quota,
        requests_per_minute=args.requests_per_minute,
        random_seeds=args.random_seeds, data_dir=args.data_dir, persist=args.persist,
        faults=tuple(Fault.parse(text) for text in args.fault),
    )
    if args.key:
        config.api_key = args.key
    return config


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Thread: block on stdin; EOF means the parent closed the pipe or died."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    loop.call_soon_threadsafe(stop.set)


async def serve(config: SimulatorConfig, host: str, port: int, access_log: bool = False,
                watch_stdin: bool = False) -> None:
    sim = Simulator(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if watch_stdin:
        threading.Thread(target=_watch_stdin, args=(loop, stop), name="stdin-watch", daemon=True).start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: fall back to signal.signal
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    try:
        runner, url = await start_site(sim, host, port, access_log=access_log)
        try:
            print(f"{URL_PREFIX}{url}", flush=True)
            print(f"{KEY_PREFIX}{sim.api_key}", flush=True)
            await stop.wait()
        finally:
            await stop_site(sim, runner)
    finally:
        await asyncio.to_thread(sim.close)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if args.access_log:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    asyncio.run(serve(config, args.host, args.port, args.access_log, args.watch_stdin))
    return 0


if __name__ == "__main__":
    sys.exit(main())
