"""How big a studio dialog opens: big enough for its pictures, never bigger than the screen.

A dialog left at its size hint opens as small on a 1600x1000 screen as on a 1024x700 one,
its preview a postage stamp in a sea of unused screen; one sized in fixed pixels runs off a
small screen. So each dialog asks for a share of the screen it opens on (capped, so a 4K
screen does not get a wall-sized dialog), held between its layout's minimum and the space
the screen has.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FRAME_ALLOWANCE = QSize(16, 48)   # a window manager's frame and title bar around the client area


def fitted_size(available: QRect, share: tuple[float, float], cap: QSize, hint: QSize, minimum: QSize) -> QSize:
    """``share`` of ``available`` on each axis, or the dialog's own ``hint`` when that is more,
    at most ``cap``; then at least ``minimum`` and never more than ``available`` less the
    window frame (the screen wins over the minimum: a dialog off the screen cannot be used).
    A pure rule, tested without a screen."""
    room = QSize(available.width() - FRAME_ALLOWANCE.width(), available.height() - FRAME_ALLOWANCE.height())

    def axis(total: int, part: float, own: int, most: int, least: int, space: int) -> int:
        wanted = min(max(int(total * part), own), most)
        return min(max(wanted, least), space)

    return QSize(axis(available.width(), share[0], hint.width(), cap.width(), minimum.width(), room.width()),
                 axis(available.height(), share[1], hint.height(), cap.height(), minimum.height(), room.height()))


def size_to_screen(dialog: QWidget, share: tuple[float, float], cap: QSize) -> None:
    """Resize ``dialog`` (before it is shown) for the screen its parent is on."""
    parent = dialog.parentWidget()
    screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    dialog.resize(fitted_size(screen.availableGeometry(), share, cap, dialog.sizeHint(),
                              dialog.minimumSizeHint()))


__all__ = ["FRAME_ALLOWANCE", "fitted_size", "size_to_screen"]
