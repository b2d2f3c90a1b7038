"""``seedance-desktop-cli``: the command-line face of Seedance Desktop.

It drives the same Qt-free engine and job store as the window (through
:mod:`seedance_desktop.runtime.compose`), so jobs submitted here show up in the app and vice versa,
and the durability promises hold: a job is never submitted twice and its result is downloaded
exactly once. Nothing here imports Qt, so it runs on a machine without a display.

``main(argv)`` is the entry point for the ``seedance-desktop-cli`` script and for
``python -m seedance_desktop cli ...``. Results go to stdout, progress and errors to stderr;
exit codes are listed in ``cli.parser.EXIT_CODES_HELP``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from seedance_desktop.cli.context import CliContext
from seedance_desktop.cli.errors import CliError, exit_code_for, message_lines
from seedance_desktop.cli.output import (
    cost_note,
    held_note,
    job_details,
    job_to_dict,
    jobs_table,
    next_step_hint,
    print_json,
)
from seedance_desktop.cli.parser import (
    EXIT_BAD_INPUT,
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_JOB_FAILED,
    EXIT_OK,
    LIST_DEFAULT_LIMIT,
    PROG,
    build_parser,
)
from seedance_desktop.api.defaults import DEFAULT_MODEL
from seedance_desktop.cli.signals import install_stop_signals
from seedance_desktop.cli.submit import prepare_request
from seedance_desktop.core.cost import usd
from seedance_desktop.core.duplicates import identical_jobs, repeat_warning
from seedance_desktop.cli.wait import SENT_STATES, SubmitBlocked, await_job, resolve_job_id
from seedance_desktop.core.continuation import ContinueError, continue_from
from seedance_desktop.core.engine import EngineError
from seedance_desktop.core.engine.allowed import has_result_file
from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.spend_guard import is_budget_hold
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.errors import SeedanceError
from seedance_desktop.runtime.compose import Runtime, close_logging, setup_logging
from seedance_desktop.runtime.logs import parse_log_level

log = logging.getLogger(__name__)


def report_job(ctx: CliContext, job: Job, *, sent_ok: bool = False) -> int:
    """Print a finished (or sent) job's outcome; return its exit code."""
    ok = job.state is JobState.DONE or (sent_ok and job.state in SENT_STATES)
    if ctx.args.json:
        print_json(job_to_dict(job))
    elif job.state is JobState.DONE:
        print(job.video_path)
    else:
        print(job.id)
    if not ok:
        reason = job.error or (job.history[-1].reason if job.history else "")
        ctx.printer.note(f"Job {job.id[:12]} ended {job.state.value}" + (f": {reason}" if reason else ""))
    hint = next_step_hint(job)
    if hint and job.state is not JobState.DONE:
        ctx.printer.note(hint)
    return EXIT_OK if ok else EXIT_JOB_FAILED


def _cancel_if_unsent(runtime: Runtime, job_id: str) -> bool:
    """Cancel a job this command created if nothing has been sent for it yet. A CLI command
    is the unit of intent: after an error or Ctrl+C the person runs it again, and a leftover
    queued copy would then be sent (and paid for) as well."""
    job = runtime.store.find(job_id)
    if job is None or not job.state.is_local:
        return False
    try:
        runtime.engine.cancel(job_id)
    except EngineError:
        return False
    return True


async def _run_and_report(ctx: CliContext, runtime: Runtime, job: Job, *, wait: bool) -> int:
    """Follow a job this command just created until it is sent (or, with ``wait``, done)."""
    ctx.printer.watch = {job.id}
    ctx.printer(job)
    try:
        job = await await_job(runtime, job.id, until_sent=not wait)
    except SubmitBlocked as exc:
        if _cancel_if_unsent(runtime, job.id):
            raise CliError(f"submitting stopped: {exc.reason}. Nothing was sent or charged; the job was "
                           "cancelled. Fix the cause (top up the balance, or set a valid key), then run "
                           "the command again.", EXIT_CONFIG) from None
        raise
    except BaseException:  # Ctrl+C, SIGTERM, SIGHUP or an error before the job left: do not leave it queued
        if _cancel_if_unsent(runtime, job.id):
            ctx.printer.note(f"Job {job.id[:12]} was not sent yet and has been cancelled (nothing was charged).")
        raise
    return report_job(ctx, job, sent_ok=not wait)


# ------------------------------------------------------------------------------ commands


async def cmd_submit(ctx: CliContext) -> int:
    prepared = prepare_request(ctx.args)
    for note in prepared.notes:
        ctx.printer.note(note)
    if ctx.demo and not ctx.args.wait:
        ctx.printer.note("note: without --wait a demo job ends with this command (the simulator stops).")
    ctx.printer.note(cost_note(ctx.settings, prepared.model, prepared.request, demo=ctx.demo))
    runtime = await ctx.runtime()
    try:
        # The window asks before paying for the same video again; a command says so (the same check).
        repeat = repeat_warning(identical_jobs(runtime.store, prepared.model, prepared.request, prepared.inputs))
        if repeat:
            ctx.printer.note(f"warning: {repeat}")
        job = runtime.engine.enqueue(prepared.model, prepared.request, prepared.inputs)
        return await _run_and_report(ctx, runtime, job, wait=ctx.args.wait)
    finally:
        await runtime.aclose()


def cmd_list(ctx: CliContext) -> int:
    store = ctx.open_store()
    try:
        states = None
        if ctx.args.state:
            try:
                states = [JobState(s.strip().lower().replace("-", "_").replace(" ", "_")) for s in ctx.args.state]
            except ValueError as exc:
                known = ", ".join(s.value for s in JobState)
                raise CliError(f"--state: {exc}; use one of {known}", EXIT_BAD_INPUT) from None
        jobs = store.list(states=states)
        limit = ctx.args.limit if ctx.args.limit is not None else (0 if ctx.args.json else LIST_DEFAULT_LIMIT)
        if limit > 0 and len(jobs) > limit:
            ctx.printer.note(f"(the last {limit} of {len(jobs)} jobs; --limit 0 shows all)")
            jobs = jobs[-limit:]
        if ctx.args.json:
            print_json([job_to_dict(job, history=False) for job in jobs])
        else:
            print(jobs_table(jobs, demo=ctx.demo))
        return EXIT_OK
    finally:
        store.close()


def cmd_show(ctx: CliContext) -> int:
    store = ctx.open_store()
    try:
        job = store.get(resolve_job_id(store, ctx.args.job))
        if ctx.args.json:
            print_json(job_to_dict(job))
        else:
            print(job_details(job, demo=ctx.demo))
        return EXIT_OK
    finally:
        store.close()


def _ids(ctx: CliContext, prefixes: Sequence[str]) -> list[str]:
    store = ctx.open_store()
    try:
        return [resolve_job_id(store, p) for p in prefixes]
    finally:
        store.close()


async def cmd_wait(ctx: CliContext) -> int:
    if bool(ctx.args.jobs) == bool(ctx.args.all):
        raise CliError("give job ids, or --all for every unfinished job", EXIT_BAD_INPUT)
    return await _wait_for(ctx, send_only=False)


async def cmd_send(ctx: CliContext) -> int:
    """``send ID``: send a held job (queued by a command that stopped before sending it),
    then wait for it like ``wait``. Refused, exactly like the window's 'Send', for a job that
    is not held."""
    return await _wait_for(ctx, send_only=True)


async def _wait_for(ctx: CliContext, *, send_only: bool) -> int:
    ids = _ids(ctx, ctx.args.jobs)  # a typo fails before anything starts
    # Not started yet: the jobs of a command that died are held first, then the ones named
    # here are released (naming a job is the decision to send it), then the queue starts.
    runtime = await ctx.runtime(start_engine=False)
    try:
        runtime.engine.hold_orphans()
        for job_id in ids:
            job = runtime.store.get(job_id)
            if is_budget_hold(job) and not (send_only or ctx.args.ignore_budget):
                # 'wait' names the job, but only 'send' or --ignore-budget goes past a cap.
                raise CliError(f"{job.held} Job {job_id[:12]} stays queued; send it with "
                               f"'{PROG} send {job_id[:12]}' (or add --ignore-budget).", EXIT_CONFIG)
            if send_only or (job.held and job.state is JobState.QUEUED):
                try:
                    runtime.engine.send(job_id)
                except EngineError as exc:
                    raise CliError(exc.user_message, EXIT_BAD_INPUT) from None
                ctx.printer.note(f"Sending held job {job_id[:12]}")
        await runtime.engine.start()
        if getattr(ctx.args, "all", False):  # after start(): what is still unfinished once the engine resumed
            unfinished = runtime.store.unfinished()
            for job in unfinished:
                if held_note(job):
                    ctx.printer.note(f"Job {job.id[:12]} {held_note(job)}")
            ids = [job.id for job in unfinished if not held_note(job)]
            if not ids:
                ctx.printer.note("No unfinished jobs to wait for." if unfinished else "No unfinished jobs.")
        ctx.printer.watch = set(ids)
        for job_id in ids:
            ctx.printer(runtime.store.get(job_id))
        jobs = await asyncio.gather(*(await_job(runtime, job_id, until_sent=False) for job_id in ids))
    finally:
        await runtime.aclose()
    if ctx.args.json:
        print_json([job_to_dict(job) for job in jobs])
    code = EXIT_OK
    for job in jobs:
        if not ctx.args.json:
            print(job.video_path if job.state is JobState.DONE else f"{job.id}\t{job.state.value}")
        if job.state is not JobState.DONE:
            code = EXIT_JOB_FAILED
            ctx.printer.note(f"Job {job.id[:12]} ended {job.state.value}: {job.error or ''}".rstrip(": "))
    return code


async def cmd_retry(ctx: CliContext) -> int:
    """``retry`` and ``submit-again``: the engine's actions, refused exactly as in the window."""
    (old_id,) = _ids(ctx, [ctx.args.job])
    # The engine starts only once the action is accepted: starting it would send queued jobs.
    runtime = await ctx.runtime(start_engine=False)
    try:
        action = runtime.engine.submit_again if ctx.args.command == "submit-again" else runtime.engine.retry
        try:
            job = action(old_id)
        except EngineError as exc:
            raise CliError(exc.user_message, EXIT_BAD_INPUT) from None
        await runtime.engine.start()
        if job.id == old_id:  # a failed download of a paid result: fetched again, not re-submitted
            ctx.printer.note(f"Downloading the result of job {old_id[:12]} again")
            return await _run_and_report(ctx, runtime, job, wait=True)  # nothing to send: finish it
        ctx.printer.note(f"New attempt {job.id[:12]} of job {old_id[:12]}")
        return await _run_and_report(ctx, runtime, job, wait=ctx.args.wait)
    finally:
        await runtime.aclose()


async def cmd_continue(ctx: CliContext) -> int:
    """``continue ID``: the core's continuation recipe, queued (``core.continuation``)."""
    (old_id,) = _ids(ctx, [ctx.args.job])
    runtime = await ctx.runtime(start_engine=False)
    try:
        old = runtime.store.get(old_id)
        try:
            recipe = await asyncio.to_thread(continue_from, old, runtime.paths.cache_dir / "frames")
        except ContinueError as exc:
            raise CliError(exc.user_message, EXIT_BAD_INPUT) from None
        request = dict(recipe.request)
        if ctx.args.prompt:
            request["prompt"] = ctx.args.prompt
        job = runtime.engine.enqueue(recipe.model, request, recipe.inputs)
        await runtime.engine.start()
        ctx.printer.note(f"Job {job.id[:12]} continues job {old_id[:12]} from its last frame")
        return await _run_and_report(ctx, runtime, job, wait=ctx.args.wait)
    finally:
        await runtime.aclose()


#: Why the engine is paused while ``download`` runs: the command fetches one paid result and
#: must not send queued jobs as a side effect.
DOWNLOAD_ONLY = "Only downloading: the 'download' command sends no queued job."


async def cmd_download(ctx: CliContext) -> int:
    """``download ID``: the engine's "download again" (fresh links from the task, then the same
    download, sidecar and DONE as every job). Accepted exactly when the window's "Download
    again" is enabled (``core.engine.allowed``); a job still on its way is for ``wait``."""
    (job_id,) = _ids(ctx, [ctx.args.job])
    runtime = await ctx.runtime(start_engine=False)
    try:
        ctx.printer.watch = {job_id}
        current = runtime.store.get(job_id)
        if current.state is JobState.DONE and has_result_file(current) and not ctx.args.force:
            ctx.printer.note(f"Already downloaded: {current.video_path}")
            return report_job(ctx, current)
        try:
            runtime.engine.redownload(job_id, force=ctx.args.force)
        except EngineError as exc:
            raise CliError(exc.user_message + _download_hint(current), EXIT_JOB_FAILED) from None
        ctx.printer.note(f"[{job_id[:8]}] Asking Modellix for fresh result links and downloading")
        runtime.engine.pause(DOWNLOAD_ONLY)  # fetch this paid result; send no queued job
        await runtime.engine.start()
        job = await await_job(runtime, job_id, until_sent=False)
    finally:
        await runtime.aclose()
    return report_job(ctx, job)


def _download_hint(job: Job) -> str:
    if not job.state.is_final:
        return f" To wait for it: '{PROG} wait {job.id[:12]}'."
    if job.state is JobState.OUTCOME_UNKNOWN:
        return f" If it is not on your Modellix dashboard, use '{PROG} submit-again {job.id[:12]}'."
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        return f" Run it again with '{PROG} retry {job.id[:12]}'."
    return ""


async def cmd_cancel(ctx: CliContext) -> int:
    ids = _ids(ctx, ctx.args.jobs)
    # The engine lock (no second engine may run meanwhile) but no started engine: starting
    # it would send the very jobs being cancelled.
    runtime = await ctx.runtime(start_engine=False)
    code = EXIT_OK
    try:
        jobs = []
        for job_id in ids:
            try:
                jobs.append(runtime.engine.cancel(job_id))
            except EngineError as exc:
                ctx.printer.note(f"Job {job_id[:12]}: {exc.user_message}")
                jobs.append(runtime.store.get(job_id))
                code = EXIT_BAD_INPUT
    finally:
        await runtime.aclose()
    if ctx.args.json:
        print_json([job_to_dict(job, history=False) for job in jobs])
    else:
        for job in jobs:
            print(f"{job.id}\t{job.state.value}")
    return code


async def cmd_batch(ctx: CliContext) -> int:
    """``batch FILE``: check every line, show the plan and its total estimate, ask once, then
    queue the valid requests as one group and follow them (``core.batch``, as the window)."""
    from seedance_desktop.core import batch
    from seedance_desktop.runtime.compose import spend_guard

    path = ctx.args.file
    try:
        plan = batch.load_file(path, ctx.args.model or DEFAULT_MODEL, overrides=ctx.settings.prices)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_BAD_INPUT) from None
    for error in plan.errors:
        ctx.printer.note(f"{path}: {error} (skipped)")
    if not plan.items:
        raise CliError(f"{path}: no valid request to queue", EXIT_BAD_INPUT)
    for item in plan.items:
        cost = f"~{usd(item.estimate)}" if item.estimate is not None else "price unknown"
        ctx.printer.note(f"  line {item.line}: {item.model}  {cost}  {str(item.request.get('prompt', ''))[:60]}")
    unpriced = f" ({plan.unpriced} without a known price)" if plan.unpriced else ""
    what = "nothing billed (demo)" if ctx.demo else f"about {usd(plan.total_estimate)} in all (estimate){unpriced}"
    ctx.printer.note(f"{len(plan.items)} job(s) to queue, {what}; {len(plan.errors)} line(s) skipped.")
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise CliError("not queued: confirm with --yes (no terminal to ask on)", EXIT_BAD_INPUT)
        answer = await asyncio.to_thread(input, f"Queue {len(plan.items)} job(s)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            ctx.printer.note("Nothing was queued.")
            return EXIT_OK
    runtime = await ctx.runtime()
    try:
        if not ctx.args.ignore_budget:
            reason = spend_guard(runtime.store, ctx.settings).check_amount(plan.total_estimate)
            if reason:
                raise CliError(reason.replace("this job", "this batch") + " Nothing was queued; use "
                               "--ignore-budget to send it anyway.", EXIT_CONFIG)
        group_id, jobs = batch.queue_plan(runtime.engine, plan)
        ctx.printer.note(f"Queued batch {group_id} ({len(jobs)} jobs).")
        ctx.printer.watch = {job.id for job in jobs}
        try:
            done = await asyncio.gather(*(await_job(runtime, job.id, until_sent=not ctx.args.wait) for job in jobs))
        except BaseException:
            cancelled = sum(_cancel_if_unsent(runtime, job.id) for job in jobs)
            if cancelled:
                ctx.printer.note(f"{cancelled} job(s) of the batch were not sent yet and have been cancelled.")
            raise
    finally:
        await runtime.aclose()
    if ctx.args.json:
        print_json([job_to_dict(job, history=False) for job in done])
    code = EXIT_OK
    for job in done:
        if not ctx.args.json:
            print(job.video_path if job.state is JobState.DONE else f"{job.id}\t{job.state.value}")
        if job.state.is_final and job.state is not JobState.DONE:
            code = EXIT_JOB_FAILED
    return code


ASYNC_COMMANDS = {"batch": cmd_batch, "submit": cmd_submit, "wait": cmd_wait, "send": cmd_send, "retry": cmd_retry,
                  "cancel": cmd_cancel, "submit-again": cmd_retry, "download": cmd_download, "continue": cmd_continue}
SYNC_COMMANDS = {"list": cmd_list, "show": cmd_show}


# ---------------------------------------------------------------------------------- main


def _error(message: str) -> None:
    try:
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # the terminal is gone (SIGHUP): the exit code still tells
        pass


async def _main_async(ctx: CliContext) -> int:
    # SIGTERM and SIGHUP behave like Ctrl+C: stop cleanly (engine, simulator child, store),
    # cancel this command's unsent job, exit EXIT_INTERRUPTED.
    install_stop_signals()
    return await ASYNC_COMMANDS[ctx.args.command](ctx)


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; map every expected failure to a message and an exit code."""
    stream_handler: logging.Handler | None = None
    package_logger = logging.getLogger("seedance_desktop")
    previous_level = package_logger.level
    try:
        ctx = CliContext(args)
        level = parse_log_level(getattr(args, "log_level", None))
        setup_logging(ctx.paths, level=level)
        if level < logging.INFO:
            package_logger.setLevel(level)  # ours, not every library's debug chatter
        if args.verbose:
            stream_handler = logging.StreamHandler(sys.stderr)
            stream_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logging.getLogger().addHandler(stream_handler)
            package_logger.setLevel(logging.DEBUG)  # ours, not asyncio's
            setup_logging(ctx.paths, level=level)  # re-install redaction so the new handler is filtered too
        if args.command in SYNC_COMMANDS:
            return SYNC_COMMANDS[args.command](ctx)
        return asyncio.run(_main_async(ctx))
    except (KeyboardInterrupt, asyncio.CancelledError):
        if args.demo:
            _error("interrupted. The demo simulator stopped with it, so its jobs cannot be resumed; "
                   f"run them again with '{PROG} --demo retry ID' (see '{PROG} --demo list').")
        else:
            _error("interrupted. Jobs already sent keep running on the server and nothing is lost; "
                   f"resume with '{PROG} wait ID' (see '{PROG} list').")
        return EXIT_INTERRUPTED
    except SeedanceError as exc:  # the one error -> message + exit code handler (cli.errors)
        for line in message_lines(exc):
            _error(line)
        return exit_code_for(exc)
    except Exception as exc:  # a bug: say where the details are instead of a bare traceback
        log.exception("unexpected error in '%s'", args.command)
        _error(f"unexpected error: {exc}. This is a bug; the details are in the log file "
               f"({AppPaths.from_env(args.home).log_file}).")
        return EXIT_INTERNAL
    finally:
        if stream_handler is not None:
            logging.getLogger().removeHandler(stream_handler)
            package_logger.setLevel(previous_level)
        close_logging()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``seedance-desktop-cli`` and ``python -m seedance_desktop cli``."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    return run(args)

