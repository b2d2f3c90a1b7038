"""Typed media errors: what went wrong with a local file, in words the user can act on."""

from __future__ import annotations


class MediaError(Exception):
    """A local media file cannot be read, checked or converted."""

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class ConformCancelled(MediaError):
    """The user cancelled a conversion; the partial output was removed."""

    def __init__(self) -> None:
        super().__init__("conversion cancelled", user_message="The conversion was cancelled.")
