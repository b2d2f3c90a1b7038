"""The durable job engine (no Qt): a small :class:`Engine` facade over typed parts."""

from seedance_desktop.core.engine.allowed import Action, EngineError, allowed_actions
from seedance_desktop.core.engine.engine import Engine

__all__ = ["Action", "Engine", "EngineError", "allowed_actions"]
