"""Seedance Desktop: a desktop client for Seedance 2.0 video-to-video through the Modellix API.

Layers (arrows point down only): ``ui`` -> ``core`` -> ``api``; ``core`` -> ``media``.
Nothing under ``api``, ``core``, ``media`` or ``simulator`` imports Qt.
"""

__version__ = "0.1.0"
