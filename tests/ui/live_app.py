"""What the tests that run the whole window share: the Qt noise a real app session makes on a
machine without audio or GPU (it affects nothing they check), and one way to wait on the qasync
loop for a condition with a bounded, generous deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

QT_NOISE = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "No RHI backend", "pa_context_connect", "No audio device",
    "does not support raise", "does not support grabbing", r"QBackingStore::flush\(\) called for",
    "does not support setParent", "does not support requestActivate",
)


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait on the running loop until ``condition()`` holds; fail naming ``what`` after
    ``timeout`` seconds (a bound against hangs, never a speed claim)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def live_runtime_builder(base_url: str, output_dir: Path,
                         calls: list[dict[str, Any]] | None = None) -> Callable[..., Awaitable[Any]]:
    """The window's ``runtime_builder`` for a test: the real composition with the key and mode the
    app chose, pointed at ``base_url`` (a simulator the test started), engine started by the app.
    ``calls`` (when given) records what the app asked for, so a test can check it stayed live."""
    from seedance_desktop.runtime import compose as composition

    async def builder(paths: Any, settings: Any, **kw: Any) -> Any:
        if calls is not None:
            calls.append(kw)
        return await composition.build_runtime(paths, settings, api_key=kw["api_key"], demo=kw["demo"],
                                               base_url=base_url, start_engine=False, output_dir=output_dir)

    return builder


class SessionSecrets:
    """Stands in for ``SecretStore`` (no keyring in tests): the key lives for the session only."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key
        self.file_path = Path("/nonexistent/api-key")

    def set_key(self, key: str, storage: str = "keyring", *, consent: bool = False) -> None:
        self.key = key

    def delete_key(self) -> None:
        self.key = None

    def get_key(self) -> str | None:
        return self.key

    @property
    def storage_kind(self) -> str | None:
        return "session" if self.key else None

    def secure_backend_available(self) -> bool:
        return False
