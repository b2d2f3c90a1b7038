"""The command line's errors and the one table that maps every error to an exit code.

Every failure the CLI reports is a ``SeedanceError`` with a ``user_message``; the single error
handler in ``cli.commands.run`` prints it and exits with :func:`exit_code_for`, which looks the
error's class (or its nearest ancestor) up in :data:`EXIT_CODES`. The codes themselves and their
help text are in ``cli.parser``.
"""

from __future__ import annotations

from seedance_desktop.api.errors import (
    AuthenticationError,
    ConfigurationError,
    InsufficientBalanceError,
    ModellixError,
    NetworkError,
    ValidationError,
)
from seedance_desktop.cli.parser import (
    EXIT_BAD_INPUT,
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_NETWORK,
)
from seedance_desktop.core.engine.allowed import EngineError
from seedance_desktop.core.outputs import SidecarError
from seedance_desktop.core.store import StoreError
from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.errors import MediaError
from seedance_desktop.runtime.lock import EngineBusyError


class CliError(SeedanceError):
    """A failure the CLI reports as ``error: <message>`` with a specific exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class InputProblem(SeedanceError):
    """Bad input: the CLI prints ``lines`` (one problem each) and exits with code 2."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


#: Error class -> exit code; the nearest class in an error's MRO wins (EngineBusyError is a
#: ConfigurationError but has its own code). A CliError carries its own code.
EXIT_CODES: dict[type[BaseException], int] = {
    InputProblem: EXIT_BAD_INPUT,
    ValidationError: EXIT_BAD_INPUT,
    MediaError: EXIT_BAD_INPUT,
    SidecarError: EXIT_BAD_INPUT,
    EngineError: EXIT_BAD_INPUT,
    EngineBusyError: EXIT_BUSY,
    AuthenticationError: EXIT_CONFIG,
    InsufficientBalanceError: EXIT_CONFIG,
    ConfigurationError: EXIT_CONFIG,
    StoreError: EXIT_CONFIG,
    NetworkError: EXIT_NETWORK,
    ModellixError: EXIT_NETWORK,
    SeedanceError: EXIT_INTERNAL,
}


def exit_code_for(error: BaseException) -> int:
    """The exit code for ``error`` (EXIT_INTERNAL for anything unexpected)."""
    if isinstance(error, CliError):
        return error.code
    for cls in type(error).__mro__:
        code = EXIT_CODES.get(cls)
        if code is not None:
            return code
    return EXIT_INTERNAL


def message_lines(error: SeedanceError) -> list[str]:
    """What to print, one ``error:`` line each."""
    if isinstance(error, InputProblem):
        return list(error.lines)
    return [error.user_message]


__all__ = ["CliError", "EXIT_CODES", "InputProblem", "exit_code_for", "message_lines"]
