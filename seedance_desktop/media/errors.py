"""Typed media errors: what went wrong with a local file, in words the user can act on."""

from __future__ import annotations

from seedance_desktop.errors import SeedanceError


class MediaError(SeedanceError):
    """A local media file cannot be read, checked or converted."""


class ConformCancelled(MediaError):
    """The user cancelled a conversion; the partial output was removed."""

    def __init__(self) -> None:
        super().__init__("conversion cancelled", user_message="The conversion was cancelled.")
