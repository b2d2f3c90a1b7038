"""Decoded frames as QImages, made in a worker (``studio.worker``): the trim editor's strip
and preview, the compare view's frames. QImage (unlike QPixmap) may be built off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage


def to_qimage(picture: Any) -> QImage:
    """An RGB ``numpy`` array (height, width, 3) as a QImage that owns its pixels."""
    height, width = int(picture.shape[0]), int(picture.shape[1])
    data = picture.tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def strip_images(path: str | Path, count: int, height: int) -> list[QImage]:
    """``count`` evenly spaced frames of a clip ``height`` pixels high (blocking)."""
    from seedance_desktop.media.contact_sheet import filmstrip

    return [to_qimage(p) for p in filmstrip(path, count, height=height)]


__all__ = ["strip_images", "to_qimage"]
