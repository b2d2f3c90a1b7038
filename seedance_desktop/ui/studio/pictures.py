"""Decoded frames as QImages, made in a worker (``studio.worker``): the trim editor's strip
and preview, the compare view's frames. QImage (unlike QPixmap) may be built off the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage


def to_qimage(picture: Any) -> QImage:
    """An RGB ``numpy`` array (height, width, 3) as a QImage that owns its pixels."""
    height, width = int(picture.shape[0]), int(picture.shape[1])
    data = picture.tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def strip_images(path: str | Path, count: int, height: int, *, cancel: threading.Event | None = None,
                 on_image: Callable[[int, QImage], None] | None = None) -> list[QImage]:
    """``count`` evenly spaced frames of a clip ``height`` pixels high (blocking).
    ``on_image(index, image)`` gets each one as soon as it is decoded; ``cancel`` stops the
    decoding between frames (``media.errors.MediaCancelled``)."""
    from seedance_desktop.media import contact_sheet

    images: list[QImage] = []

    def arrived(index: int, picture: Any) -> None:
        images.append(to_qimage(picture))
        if on_image is not None:
            on_image(index, images[-1])

    contact_sheet.filmstrip(path, count, height=height, cancel=cancel, on_picture=arrived)
    return images


__all__ = ["strip_images", "to_qimage"]
