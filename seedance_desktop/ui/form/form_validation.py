"""The form's bridge to request validation (``api.validate``).

The form validates what WILL be sent: local files are not URLs yet, so each one is stood in for
by a syntactically valid placeholder URL (it becomes a hosted URL after upload). Problems with
the local files themselves (unreadable, over a limit that conforming cannot fix) are reported
separately by the media lists and merged in by the form.
"""

from __future__ import annotations

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.api.validate import PlaceholderReport, placeholder_report, validate_request

#: Stands in for a local file during validation; never sent anywhere.
LOCAL_PLACEHOLDER = "https://upload.pending.invalid/{field}/{index}"

#: The word used in prompt placeholders and chips: ``[Video 1]``.
KIND_WORD = {MediaKind.VIDEO: "Video", MediaKind.IMAGE: "Image", MediaKind.AUDIO: "Audio"}

__all__ = ["KIND_WORD", "LOCAL_PLACEHOLDER", "PlaceholderReport", "placeholder_report", "validate_request"]
