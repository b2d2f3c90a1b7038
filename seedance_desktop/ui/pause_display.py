"""What the window shows for the engine's pause gate: one description, applied everywhere.

The toolbar/menu action, the queue panel's button, the status bar and the problem banner all
take their words from :func:`describe_pause`, fed by the engine's one pause reason
(``core.engine.pause``), so they can no longer disagree ("Pause queue" pressed in the toolbar
while the panel said "Resume queue" and the status bar said nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Short words for the status bar, by ``PauseKind`` name (lower case).
SHORT_REASONS = {
    "user": "you pressed Pause",
    "auth": "API key rejected",
    "balance": "insufficient balance",
    "outcome_unknown": "unknown submit outcomes",
}
PAUSE_TEXT = "Pause queue"
RESUME_TEXT = "Resume queue"


@dataclass(frozen=True)
class PauseDisplay:
    kind: str              # "" when running, else a PauseKind name in lower case
    reason: str            # the engine's full reason (what happened and what to do)

    @property
    def paused(self) -> bool:
        return bool(self.kind)

    @property
    def action_text(self) -> str:
        """The toolbar action, the Queue menu and the panel's button: what a press will do."""
        return RESUME_TEXT if self.paused else PAUSE_TEXT

    @property
    def status_text(self) -> str:
        """The status bar's permanent pause label ('' hides it)."""
        if not self.paused:
            return ""
        return f"Paused - {SHORT_REASONS.get(self.kind, self.kind.replace('_', ' '))}"

    @property
    def tooltip(self) -> str:
        if not self.paused:
            return "Start no new jobs (running ones continue: they are paid for)."
        return f"{self.reason} Press to resume the queue."

    @property
    def needs_attention(self) -> bool:
        """The engine paused itself (key, balance, unknown outcomes): say so in a banner."""
        return self.paused and self.kind != "user"

    @property
    def offers_settings(self) -> bool:
        """The fix is in Settings (a new key)."""
        return self.kind == "auth"


RUNNING = PauseDisplay("", "")


def describe_pause(kind: str | None, reason: str | None) -> PauseDisplay:
    return PauseDisplay(kind or "", reason or "") if kind else RUNNING


__all__ = ["PAUSE_TEXT", "RESUME_TEXT", "RUNNING", "SHORT_REASONS", "PauseDisplay", "describe_pause"]
