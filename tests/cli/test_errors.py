"""The CLI's one error -> exit-code table."""

from __future__ import annotations

import pytest

from seedance_desktop.api.errors import (
    AuthenticationError,
    ConfigurationError,
    InsufficientBalanceError,
    NetworkError,
    ServerError,
    ValidationError,
)
from seedance_desktop.cli.errors import CliError, InputProblem, exit_code_for, message_lines
from seedance_desktop.cli.parser import (
    EXIT_BAD_INPUT,
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_JOB_FAILED,
    EXIT_NETWORK,
)
from seedance_desktop.core.engine import EngineError
from seedance_desktop.core.store import JobNotFound, StoreError
from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.errors import MediaError
from seedance_desktop.runtime.lock import EngineBusyError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputProblem(["--video: no such file"]), EXIT_BAD_INPUT),
        (ValidationError("bad"), EXIT_BAD_INPUT),
        (MediaError("unreadable"), EXIT_BAD_INPUT),
        (EngineError("refused"), EXIT_BAD_INPUT),
        (EngineBusyError("busy"), EXIT_BUSY),  # a ConfigurationError, but its own code
        (AuthenticationError(), EXIT_CONFIG),
        (InsufficientBalanceError(), EXIT_CONFIG),
        (ConfigurationError(), EXIT_CONFIG),
        (StoreError("broken"), EXIT_CONFIG),
        (JobNotFound("x"), EXIT_CONFIG),
        (NetworkError(), EXIT_NETWORK),
        (ServerError(), EXIT_NETWORK),
        (CliError("job failed", EXIT_JOB_FAILED), EXIT_JOB_FAILED),
        (SeedanceError("something else"), EXIT_INTERNAL),
        (RuntimeError("a bug"), EXIT_INTERNAL),
    ],
)
def test_exit_code_table(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_cli_errors_are_seedance_errors_with_their_message() -> None:
    assert isinstance(CliError("x", 2), SeedanceError) and isinstance(InputProblem(["a"]), SeedanceError)
    assert message_lines(InputProblem(["a", "b"])) == ["a", "b"]
    assert message_lines(CliError("say this", 2)) == ["say this"]
