"""Typed media errors: what went wrong with a local file, in words the user can act on.

Blocking media work (conforming, filmstrips, contact sheets) is cancelled the way
``core.prepare.InputPreparer`` cancels it: the caller passes a ``cancel`` ``threading.Event``,
the work checks it between frames (:func:`raise_if_cancelled`) and stops with a
:class:`MediaCancelled`, leaving no partial output behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from seedance_desktop.errors import SeedanceError

#: ``progress(done, total)``: ``done`` of ``total`` steps (frames, pictures) are finished.
#: Called from the worker thread; a face relays it to its own thread.
StepProgress = Callable[[int, int], None]


class MediaError(SeedanceError):
    """A local media file cannot be read, checked or converted."""


class MediaCancelled(MediaError):
    """Work on a local file was stopped on request; nothing partial was left behind."""

    def __init__(self, message: str = "media work cancelled", *, user_message: str = "Cancelled.") -> None:
        super().__init__(message, user_message=user_message)


class ConformCancelled(MediaCancelled):
    """The user cancelled a conversion; the partial output was removed."""

    def __init__(self) -> None:
        super().__init__("conversion cancelled", user_message="The conversion was cancelled.")


def raise_if_cancelled(cancel: threading.Event | None, what: str = "media work") -> None:
    """Stop with :class:`MediaCancelled` when ``cancel`` is set (``None``: never cancelled)."""
    if cancel is not None and cancel.is_set():
        raise MediaCancelled(f"{what} cancelled", user_message=f"{what[:1].upper()}{what[1:]} was cancelled.")


__all__ = ["ConformCancelled", "MediaCancelled", "MediaError", "StepProgress", "raise_if_cancelled"]
