"""What every command-line command needs: parsed options, app paths, settings, the key, and
a runtime built by the shared composition root (with progress printed to stderr)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seedance_desktop.cli.output import ProgressPrinter
from seedance_desktop.cli.parser import EXIT_CONFIG, PROG
from seedance_desktop.cli.errors import CliError
from seedance_desktop.runtime.compose import KEY_ENV, Runtime, build_runtime, open_store, resolve_api_key
from seedance_desktop.core.engine.owner import process_tag
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.core.settings import Settings, SettingsStore
from seedance_desktop.core.store import JobStore


class CliContext:
    """What every command needs: parsed args, paths, settings and where output goes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths = AppPaths.from_env(args.home).ensure()
        self.settings_store = SettingsStore(self.paths.settings_file)
        self.settings: Settings = self.settings_store.load()
        self.demo: bool = bool(args.demo)
        self.printer = ProgressPrinter(watch=set(), quiet=bool(args.quiet))
        for problem in self.settings_store.problems:
            self.printer.note(f"warning: {problem}")

    def output_dir(self) -> Path | None:
        """``--output-dir`` verbatim, else None: the composition root applies the configured
        folder (``<home>/videos`` under ``--home`` when none was configured)."""
        return Path(self.args.output_dir).expanduser() if self.args.output_dir else None

    def api_key(self) -> str | None:
        if self.demo:
            return None
        key = resolve_api_key(self.paths)
        if not key:
            raise CliError(
                "no Modellix API key is set.\n"
                f"  Set one for this shell:   export {KEY_ENV}=<your key>\n"
                "  or save it in the desktop app (Settings > API key; stored in the keyring),\n"
                f"  or try everything without a key and without cost:   {PROG} --demo submit --wait ...",
                EXIT_CONFIG,
            )
        return key

    async def runtime(self, *, start_engine: bool = True) -> Runtime:
        key = self.api_key()
        runtime = await build_runtime(
            self.paths,
            self.settings,
            api_key=key,
            demo=self.demo,
            base_url=self.args.base_url,
            output_dir=self.output_dir(),
            start_engine=start_engine,
            queued_by=process_tag("cli"),  # an unsent job of a command that dies is held, not sent
        )
        if getattr(self.args, "ignore_budget", False):
            runtime.engine.set_spend_guard(None)  # the person overrides the caps for this command
        runtime.engine.add_listener(self.printer)
        self._say_if_recovered(runtime.store)
        if runtime.demo:
            self.printer.note("Demo mode: a local simulator stands in for Modellix (simulated videos, nothing billed).")
        return runtime

    def open_store(self) -> JobStore:
        store = open_store(self.paths, demo=self.demo)
        self._say_if_recovered(store)
        return store

    def _say_if_recovered(self, store: JobStore) -> None:
        """A damaged job database was kept aside and recovered at open: say so, and where."""
        if store.recovery is not None:  # said even with --quiet: the user must know where the file is
            print(f"warning: {store.recovery.user_message}", file=sys.stderr)


__all__ = ["CliContext"]
