"""The app's defaults that more than one place needs: kept here once, so the window, the
command line, the settings and the job model can never disagree."""

from __future__ import annotations

#: Modellix's API address (SPEC section 1).
DEFAULT_BASE_URL = "https://api.modellix.ai"
#: The model the app is built for: Seedance 2.0 Fast video-to-video.
DEFAULT_MODEL = "bytedance/seedance-2.0-fast-v2v"

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL"]
