"""How one job reads to a person, for both faces: the request as chosen (no signed URLs), and
the one next step its state suggests.

The command line's ``show`` and the window's details pane print the same request and suggest
the same action (the first of ``core.engine.allowed``'s that fits); each face words the action
its own way (a command, a button).
"""

from __future__ import annotations

from typing import Any

from seedance_desktop.api.redact import redact_url
from seedance_desktop.core.engine.allowed import Action, allowed_actions
from seedance_desktop.core.job import Job
from seedance_desktop.core.outputs import recipe_request


def _safe_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request with every URL's query string removed and data URIs shortened."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str) and (value.startswith(("http://", "https://", "data:"))):
            return redact_url(value)
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    return {key: scrub(value) for key, value in request.items()}


def display_request(job: Job) -> dict[str, Any]:
    """The request as a person chose it: local inputs shown as their file paths (the stored
    request has empty slots there until upload), URLs without query strings."""
    try:
        return _safe_request(recipe_request(job))
    except Exception:  # a hand-edited or odd row must still be showable
        return _safe_request(job.request)


#: The order in which a next step is suggested: never a paid re-run for a result that can
#: still be fetched, and a held job is sent before anything else.
_SUGGESTED = (Action.SEND, Action.REDOWNLOAD, Action.SUBMIT_AGAIN, Action.RETRY)


def suggested_action(job: Job) -> Action | None:
    """The action to suggest for the job's state (None: wait, or nothing to do)."""
    allowed = allowed_actions(job)
    return next((action for action in _SUGGESTED if action in allowed), None)


__all__ = ["display_request", "suggested_action"]
