"""The trim editor's filmstrip: thumbnails across the clip with draggable in and out handles.

Mouse: drag a handle, or press anywhere to move the nearer handle there. Keyboard (the strip
has focus): Left/Right or , and . move the active handle one frame (Shift: one second), I and
O choose the in or the out handle, Home/End jump it to the clip's start or end.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

_HANDLE = 8   # handle width in pixels


class StripBar(QWidget):
    """``selection_changed(start, end)`` in seconds whenever a handle moves."""

    selection_changed = Signal(float, float)

    def __init__(self, duration: float, fps: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = max(duration, 1e-3)
        self.frame = 1.0 / fps if fps > 0 else 1.0 / 30
        self.start, self.end = 0.0, self.duration
        self.active = "in"   # which handle the keys move
        self.playhead: float | None = None
        self._drag: str | None = None
        self._images: list[QImage | None] = []   # None: a cell still decoding
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Selection on the filmstrip")
        self.setToolTip("Drag the in and out handles. Keys: ←/→ or , and . step one frame "
                        "(Shift: one second); I and O choose the handle; Home/End go to the ends.")

    def sizeHint(self) -> QSize:
        return QSize(640, 72)

    def set_images(self, images: list[QImage]) -> None:
        self._images = list(images)
        self.update()

    def set_image(self, index: int, image: QImage, count: int) -> None:
        """One thumbnail of ``count`` arrived: the strip fills in while the rest decode."""
        if len(self._images) != count:
            self._images = [None] * count
        if 0 <= index < count:
            self._images[index] = image
            self.update()

    def images_shown(self) -> int:
        """How many thumbnails the strip shows (the rest are still decoding)."""
        return sum(1 for image in self._images if image is not None)

    def set_selection(self, start: float, end: float, *, emit: bool = True) -> None:
        start = min(max(0.0, start), self.duration - self.frame)
        end = min(max(end, start + self.frame), self.duration)
        if (start, end) == (self.start, self.end):
            return
        self.start, self.end = start, end
        self.update()
        if emit:
            self.selection_changed.emit(start, end)

    def set_playhead(self, seconds: float | None) -> None:
        self.playhead = seconds
        self.update()

    # ----- geometry -------------------------------------------------------------------------
    def _x(self, seconds: float) -> float:
        return _HANDLE + (self.width() - 2 * _HANDLE) * seconds / self.duration

    def _seconds(self, x: float) -> float:
        span = max(1, self.width() - 2 * _HANDLE)
        seconds = (x - _HANDLE) / span * self.duration
        return round(min(max(0.0, seconds), self.duration) / self.frame) * self.frame

    # ----- input ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        self._drag = "in" if abs(x - self._x(self.start)) <= abs(x - self._x(self.end)) else "out"
        self.active = self._drag
        self._move_active_to(self._seconds(x))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._move_active_to(self._seconds(event.position().x()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        step = 1.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else self.frame
        at = self.start if self.active == "in" else self.end
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Comma):
            self._move_active_to(at - step)
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Period):
            self._move_active_to(at + step)
        elif key == Qt.Key.Key_I:
            self.active = "in"
            self.update()
        elif key == Qt.Key.Key_O:
            self.active = "out"
            self.update()
        elif key == Qt.Key.Key_Home:
            self._move_active_to(0.0)
        elif key == Qt.Key.Key_End:
            self._move_active_to(self.duration)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def step(self, frames: int) -> None:
        """Move the active handle by whole frames (the dialog's step buttons)."""
        at = self.start if self.active == "in" else self.end
        self._move_active_to(at + frames * self.frame)

    def _move_active_to(self, seconds: float) -> None:
        if self.active == "in":
            self.set_selection(min(seconds, self.end - self.frame), self.end)
        else:
            self.set_selection(self.start, max(seconds, self.start + self.frame))
        self.update()

    # ----- drawing --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = QRectF(_HANDLE, 4, self.width() - 2 * _HANDLE, self.height() - 8)
        painter.fillRect(area, QColor(30, 30, 30))
        if self._images:
            cell = area.width() / len(self._images)
            for n, image in enumerate(self._images):
                if image is None:
                    continue
                target = QRectF(area.left() + n * cell, area.top(), cell, area.height())
                painter.drawImage(target, image, cell_source(image, target))
        shade = QColor(0, 0, 0, 160)
        x0, x1 = self._x(self.start), self._x(self.end)
        painter.fillRect(QRectF(area.left(), area.top(), x0 - area.left(), area.height()), shade)
        painter.fillRect(QRectF(x1, area.top(), area.right() - x1, area.height()), shade)
        accent = self.palette().color(self.palette().ColorRole.Highlight)
        painter.setPen(QPen(accent, 2))
        painter.drawRect(QRectF(x0, area.top(), x1 - x0, area.height()))
        for name, x in (("in", x0), ("out", x1)):
            color = accent if name == self.active else QColor(220, 220, 220)
            painter.fillRect(QRectF(x - _HANDLE / 2, 0, _HANDLE, self.height()), color)
        if self.playhead is not None:
            painter.setPen(QPen(QColor(255, 80, 80), 2))
            px = self._x(self.playhead)
            painter.drawLine(QPointF(px, 0), QPointF(px, self.height()))
        painter.end()


def cell_source(image: QImage, cell: QRectF) -> QRectF:
    """The middle of ``image`` with the shape of ``cell``: a thumbnail drawn into a cell of
    another shape keeps its proportions (a 16:9 frame in a narrow cell is not squeezed)."""
    iw, ih = float(image.width()), float(image.height())
    if iw <= 0 or ih <= 0 or cell.width() <= 0 or cell.height() <= 0:
        return QRectF(0, 0, iw, ih)
    want = cell.width() / cell.height()
    if iw / ih > want:   # wider than the cell: keep the full height, the middle of the width
        w = ih * want
        return QRectF((iw - w) / 2, 0, w, ih)
    h = iw / want
    return QRectF(0, (ih - h) / 2, iw, h)


__all__ = ["StripBar", "cell_source"]
