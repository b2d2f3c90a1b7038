"""The command line's argument parser and help texts (kept apart from the logic in ``cli.py``).

Global options (``--demo``, ``--json``, ``--home``, ...) are accepted both before and after the
sub-command, so ``seedance-desktop-cli --demo submit ...`` and ``seedance-desktop-cli submit
--demo ...`` mean the same thing.
"""

from __future__ import annotations

import argparse

from seedance_desktop import __version__
from seedance_desktop.runtime.logs import LOG_LEVELS
from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.api.spec import MAX_SEED, MODELS, RATIOS

PROG = "seedance-desktop-cli"

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CONFIG = 3
EXIT_NETWORK = 4
EXIT_BUSY = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

#: Rows the ``list`` table shows by default (a long history stays readable).
LIST_DEFAULT_LIMIT = 50

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}    success (with --wait: every job ended done, its video on disk)
  {EXIT_JOB_FAILED}    a job ended failed, expired or outcome-unknown (see 'show ID' for why)
  {EXIT_BAD_INPUT}    bad input: an invalid option, request or media file, or an unknown job id
  {EXIT_CONFIG}    authentication or configuration: no key, key rejected, insufficient balance,
       bad --base-url
  {EXIT_NETWORK}    Modellix could not be reached or kept failing
  {EXIT_BUSY}    another Seedance Desktop process (the window, another 'wait') runs this queue
  {EXIT_INTERNAL}   internal error (a bug; details in the log file)
  {EXIT_INTERRUPTED}  interrupted (Ctrl+C, SIGTERM, SIGHUP); sent jobs keep running on the server:
       resume with 'wait ID'
"""

MAIN_EPILOG = f"""\
The API key comes from $MODELLIX_API_KEY, or from the keyring (save it in the app's Settings).
Without a key, add --demo: a local simulator stands in for Modellix (nothing is billed, videos
are simulated, and demo jobs are kept apart from real ones).

examples:
  {PROG} submit --demo --wait --video clip.mp4 --prompt "[Video 1] as a watercolour" --duration 5
  {PROG} submit --wait --video clip.mp4 --prompt "[Video 1] at night" --resolution 480p
  {PROG} list
  {PROG} show 3f2a --json
  {PROG} wait 3f2a 91bc
  {PROG} retry 3f2a --wait

Job ids may be shortened to any unique prefix (as shown by 'list').

{EXIT_CODES_HELP}"""

SUBMIT_EPILOG = f"""\
Media options take a local file or an http(s) URL. Local files are probed and checked against
Seedance's limits (videos: 2-15 s each, 15 s in all, about 640x640 to 1280x720, 24-60 fps);
a reference video that is too long, too large or in the wrong format is conformed (trimmed,
scaled, re-encoded to H.264) automatically, then uploaded through Modellix's File API. Refer to
inputs in the prompt as [Video 1], [Image 1], [Audio 1] (1-based, in the order given).

Without --wait the command returns once Modellix has accepted the job (its id is printed);
collect the result later with '{PROG} wait ID'.
With --demo, use --wait: the simulator stops when the command ends. If the command stops
before the job was sent (an error, Ctrl+C, SIGTERM, a closed terminal), the job is cancelled,
so running the command again never sends it twice. If the command is killed outright before
sending (SIGKILL, power loss), its job is held: no later command sends it by itself; 'list'
shows it as held and '{PROG} send ID' sends it.

The command line runs the same job queue as the desktop app (one at a time: while the window
is open, use it instead). Jobs still queued from the app are sent too while a command runs.

examples:
  {PROG} submit --demo --wait --video clip.mp4 --prompt "[Video 1] in claymation style"
  {PROG} submit --wait --video a.mp4 --video https://example.com/b.mp4 \\
      --prompt "Blend [Video 1] and [Video 2]" --duration 8 --ratio 16:9 --resolution 720p
  {PROG} submit --video clip.mp4 --first-frame start.png --prompt "[Video 1] from [Image 1]" --seed 42
  {PROG} submit --wait --json --video clip.mp4 --prompt "..." > result.json
  {PROG} submit --wait --recipe Seedance/2026-08-20_watercolour_42_3f2a.json --seed 43

{EXIT_CODES_HELP}"""


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The same options on the main parser (real defaults) and on every sub-command (defaults
    suppressed, so a value given before the sub-command is not overwritten)."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument("--demo", action="store_true", default=default(False),
                       help="use the built-in Modellix simulator instead of the real service "
                            "(no key needed, nothing billed; demo jobs are stored separately)")
    group.add_argument("--json", action="store_true", default=default(False),
                       help="print results as JSON on stdout (progress stays on stderr)")
    group.add_argument("--home", metavar="DIR", default=default(None),
                       help="keep settings, job database, cache, logs and (unless --output-dir) "
                            "videos under DIR instead of the usual per-user folders")
    group.add_argument("--output-dir", metavar="DIR", default=default(None),
                       help="save finished videos here (default: the folder set in the app's "
                            "Settings, normally Videos/Seedance)")
    group.add_argument("--base-url", metavar="URL", default=default(None),
                       help="Modellix API address (default: from Settings, https://api.modellix.ai)")
    group.add_argument("--quiet", "-q", action="store_true", default=default(False),
                       help="no progress lines on stderr")
    group.add_argument("--verbose", "-v", action="store_true", default=default(False),
                       help="also print log messages on stderr (secrets are masked)")
    group.add_argument("--log-level", choices=LOG_LEVELS, type=str.upper, default=default("INFO"),
                       help="how much the log file records (default INFO; DEBUG for bug reports)")
    group.add_argument("--ignore-budget", action="store_true", default=default(False),
                       help="send even when a job's estimate would cross the daily or monthly "
                            "budget cap set in the app's Settings")


def _add_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", action="store_true",
                        help="wait until the job has finished and its video is downloaded, "
                             "showing progress on stderr")


def _add_submit_options(parser: argparse.ArgumentParser) -> None:
    req = parser.add_argument_group("request")
    req.add_argument("--recipe", metavar="FILE",
                     help="start from the recipe of an earlier result: its JSON sidecar (or the "
                          "video next to it); options given here override the recipe's values")
    req.add_argument("--model", default=None, choices=sorted(MODELS), metavar="SLUG",
                     help=f"model to use (default {DEFAULT_MODEL}; also: "
                          + ", ".join(s for s in sorted(MODELS) if s != DEFAULT_MODEL) + ")")
    req.add_argument("--prompt", "-p", metavar="TEXT",
                     help="what to make, 1-2000 characters; refer to inputs as [Video 1], [Image 1], [Audio 1]")
    req.add_argument("--video", action="append", metavar="FILE[@START-END]|URL",
                     help="reference video (MP4/MOV), 1 to 3; repeat the option for more. "
                          "FILE@10-16 uses seconds 10 to 16 of a local file (default: the first "
                          "seconds that fit the 2-15 s limits)")
    req.add_argument("--first-frame", metavar="FILE|URL",
                     help="image the video starts from (not with --reference-image)")
    req.add_argument("--last-frame", metavar="FILE|URL",
                     help="image the video ends on (not with --reference-image)")
    req.add_argument("--reference-image", action="append", metavar="FILE|URL",
                     help="style/subject image, 1 to 9; repeatable (not with --first/--last-frame)")
    req.add_argument("--audio", action="append", metavar="FILE[@START-END]|URL",
                     help="reference audio (MP3/WAV), 1 to 3, 15 s in all; repeatable. FILE@2-8 uses "
                          "seconds 2 to 8 (other formats and longer files are cut and converted to MP3)")
    req.add_argument("--frame", metavar="crop|pad|crop@X,Y,W,H",
                     help="frame local reference videos for --ratio: crop (centred, or the rectangle "
                          "X,Y,W,H in the clip's upright pixels) or pad with black bars; default: keep "
                          "the clip's own shape")
    out = parser.add_argument_group("output")
    out.add_argument("--duration", "-d", type=int, metavar="SECONDS",
                     help="length of the result in whole seconds, 4-15 (server default 5)")
    out.add_argument("--ratio", metavar="W:H", help=f"aspect ratio: {', '.join(RATIOS)} (server default 1:1)")
    out.add_argument("--resolution", "-r", metavar="RES",
                     help="480p or 720p (1080p only for seedance-2.0-v2v; server default 720p)")
    out.add_argument("--seed", type=int, metavar="N",
                     help=f"-1 for random (default) or 0-{MAX_SEED} for repeatable results")
    out.add_argument("--camera-fixed", action=argparse.BooleanOptionalAction, default=None,
                     help="keep the camera still (default: off)")
    out.add_argument("--generate-audio", action=argparse.BooleanOptionalAction, default=None,
                     help="generate a soundtrack (default: on; --no-generate-audio turns it off, "
                          "which sometimes avoids a moderation rejection)")
    out.add_argument("--return-last-frame", action=argparse.BooleanOptionalAction, default=None,
                     help="also fetch the last frame as an image (default: off)")
    out.add_argument("--expires-after", type=int, metavar="SECONDS",
                     help="how long the task may stay unfinished on the server, 3600-259200 "
                          "(server default 172800 = 48 h)")
    _add_wait_option(parser)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Generate videos with Seedance 2.0 (Fast) video-to-video through Modellix, from\n"
                    "the command line. Jobs share the desktop app's durable queue: a job is never\n"
                    "submitted twice and its result is downloaded exactly once.",
        epilog=MAIN_EPILOG,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, description: str, epilog: str = EXIT_CODES_HELP) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=description, epilog=epilog, formatter_class=fmt)
        _add_global_options(p, suppress=True)
        return p

    p = command("submit", "submit a new job (every request field is an option)",
                "Validate, upload local inputs, and submit one job.", SUBMIT_EPILOG)
    _add_submit_options(p)

    p = command("list", "list jobs, newest last",
                "List the jobs in the queue and history (demo jobs only with --demo).",
                f"examples:\n  {PROG} list\n  {PROG} list --state done --json\n\n{EXIT_CODES_HELP}")
    p.add_argument("--state", action="append", metavar="STATE",
                   help="only jobs in this state (queued, uploading, submitting, submitted, processing, "
                        "downloading, done, failed, outcome_unknown, expired, cancelled); repeatable")
    p.add_argument("--limit", type=int, metavar="N",
                   help=f"show at most the last N jobs (default: the table shows the last {LIST_DEFAULT_LIMIT}, "
                        "--json shows all; 0 means all)")

    p = command("show", "show one job in detail, with its history",
                "Show a job's recipe, state, timings, cost, files and full history.",
                f"examples:\n  {PROG} show 3f2a\n  {PROG} show 3f2a --json\n\n{EXIT_CODES_HELP}")
    p.add_argument("job", metavar="ID", help="job id or a unique prefix of it")

    p = command("wait", "wait for jobs to finish and download their results",
                "Resume the given jobs (poll Modellix, download results) and wait until each "
                "has finished. Prints each video's path.",
                f"examples:\n  {PROG} wait 3f2a\n  {PROG} wait 3f2a 91bc --json\n  {PROG} wait --all\n\n"
                f"{EXIT_CODES_HELP}")
    p.add_argument("jobs", nargs="*", metavar="ID", help="job ids or unique prefixes")
    p.add_argument("--all", action="store_true",
                   help="wait for every unfinished job (queued ones are sent first; held ones are "
                        "listed, not sent: use 'send ID')")

    p = command("send", "send a held job (its command stopped before sending it), then wait",
                "A job queued by a command that was killed before sending it (SIGKILL, power loss) "
                "is held: no later command or window sends it by itself, so running the command "
                "again never pays twice. 'list' shows it as held. This sends it, then waits like 'wait'. 'wait ID' naming a held job sends "
                "it too.",
                f"examples:\n  {PROG} send 3f2a\n\n{EXIT_CODES_HELP}")
    p.add_argument("jobs", nargs="+", metavar="ID", help="job ids or unique prefixes")

    p = command("download", "fetch a finished job's result again (resume or re-download)",
                "Download a job's result: resumes an interrupted or failed download, or fetches "
                "the video again when the local file was deleted (asks Modellix for a fresh "
                "link). Works while the result is still kept on the server (about 7 days).",
                f"examples:\n  {PROG} download 3f2a\n\n{EXIT_CODES_HELP}")
    p.add_argument("job", metavar="ID", help="job id or a unique prefix of it")
    p.add_argument("--force", action="store_true",
                   help="download again even if the video is already on disk")

    p = command("retry", "run a failed or cancelled job again; fetch an expired job's paid result again",
                "Create a new attempt with the same recipe as a failed or cancelled job and "
                "submit it (a new, paid task; the old job stays in the history). For a job whose "
                "task succeeded (expired, or its download failed) it fetches the paid result "
                "again instead, like 'download': no new charge.",
                f"examples:\n  {PROG} retry 3f2a --wait\n\n{EXIT_CODES_HELP}")
    p.add_argument("job", metavar="ID", help="job id or a unique prefix of it")
    _add_wait_option(p)

    p = command("continue", "continue from a finished job's last frame (a longer shot)",
                "Queue a new job that continues a finished one: its exact last frame (taken "
                "from the video on disk) becomes the first frame, the video itself the "
                "reference video, with the same settings. --prompt replaces the prompt.",
                f"examples:\n  {PROG} continue 3f2a --wait\n  {PROG} continue 3f2a --prompt "
                f"\"[Video 1] continues into the night\" --wait\n\n{EXIT_CODES_HELP}")
    p.add_argument("job", metavar="ID", help="job id or a unique prefix of it")
    p.add_argument("--prompt", "-p", metavar="TEXT", help="a new prompt (default: the job's own)")
    _add_wait_option(p)

    p = command("cancel", "cancel queued jobs that were not sent yet",
                "Cancel jobs still waiting in the queue (queued or uploading). A job Modellix "
                "already has cannot be cancelled: Modellix offers no way to stop a task.",
                f"examples:\n  {PROG} cancel 3f2a 91bc\n\n{EXIT_CODES_HELP}")
    p.add_argument("jobs", nargs="+", metavar="ID", help="job ids or unique prefixes")

    p = command("batch", "queue many requests from a JSONL or CSV file, as one batch",
                "Read one request per line: JSONL as the vendor CLI's 'model batch' reads it (one "
                "JSON request body per line, an optional \"model\" key), or CSV with a header "
                "row of field names (media lists separated by |). Every line is checked first; "
                "bad lines are reported by number and skipped. Shows the total estimated cost and "
                "asks before queueing anything (--yes to skip the question). Media that are not "
                "URLs are local files, uploaded by the queue.",
                f"examples:\n  {PROG} batch requests.jsonl\n  {PROG} batch grid.csv --yes --wait\n\n{EXIT_CODES_HELP}")
    p.add_argument("file", metavar="FILE", help="a .jsonl (or .json lines) or .csv file of requests")
    p.add_argument("--model", default=None, choices=sorted(MODELS), metavar="SLUG",
                   help=f"model for lines that name none (default {DEFAULT_MODEL})")
    p.add_argument("--yes", "-y", action="store_true", help="queue without asking for confirmation")
    _add_wait_option(p)

    p = command("submit-again", "submit an outcome-unknown job again (may cost twice!)",
                "An outcome-unknown job's submission may or may not have reached Modellix. "
                "Check your Modellix dashboard first: if the task is not there, this submits "
                "the same recipe as a new attempt linked to the old one.",
                f"examples:\n  {PROG} submit-again 3f2a --wait\n\n{EXIT_CODES_HELP}")
    p.add_argument("job", metavar="ID", help="job id or a unique prefix of it")
    _add_wait_option(p)
    return parser


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUSY",
    "EXIT_CONFIG",
    "EXIT_CODES_HELP",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_JOB_FAILED",
    "EXIT_NETWORK",
    "EXIT_OK",
    "LIST_DEFAULT_LIMIT",
    "PROG",
    "build_parser",
]
