"""Every pause reason of the engine's gate gets the same words in every place, and the fix
the banner offers fits the reason (Settings for a key, Resume for the rest)."""

from __future__ import annotations

import pytest

from seedance_desktop.core.engine.pause import UNKNOWN_STREAK_REASON, USER_PAUSE_REASON, PauseKind
from seedance_desktop.ui.pause_display import describe_pause


@pytest.mark.parametrize(("kind", "reason", "status", "banner", "settings"), [
    (PauseKind.USER, USER_PAUSE_REASON, "Paused - you pressed Pause", False, False),
    (PauseKind.AUTH, "Modellix rejected the API key.", "Paused - API key rejected", True, True),
    (PauseKind.BALANCE, "Insufficient balance. Top up, then resume.", "Paused - insufficient balance", True, False),
    (PauseKind.OUTCOME_UNKNOWN, UNKNOWN_STREAK_REASON.format(n=2), "Paused - unknown submit outcomes", True, False),
])
def test_each_pause_kind(kind: PauseKind, reason: str, status: str, banner: bool, settings: bool) -> None:
    shown = describe_pause(kind.name.lower(), reason)
    assert shown.paused and shown.action_text == "Resume queue" and shown.status_text == status
    assert shown.needs_attention is banner and shown.offers_settings is settings
    assert shown.tooltip.startswith(reason)


def test_running() -> None:
    shown = describe_pause("", "")
    assert not shown.paused and shown.action_text == "Pause queue" and shown.status_text == ""
    assert not shown.needs_attention
