"""The durable job engine (no Qt): a small :class:`Engine` facade over typed parts.

``Engine`` is loaded on first use: the window imports ``allowed`` (which actions a job state
offers) to draw its first queue page, and the engine's own imports (httpx, the runner) can wait
for the runtime."""

from typing import TYPE_CHECKING, Any

from seedance_desktop.core.engine.allowed import Action, EngineError, allowed_actions

if TYPE_CHECKING:
    from seedance_desktop.core.engine.engine import Engine

__all__ = ["Action", "Engine", "EngineError", "allowed_actions"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from seedance_desktop.core.engine.engine import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
