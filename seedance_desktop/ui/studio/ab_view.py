"""The compare view's picture: two frames (A: the result, B: its reference) side by side, or
one over the other with a wipe line the user drags (mouse or the slider) to reveal B.

Both frames are drawn at the same zoom (fitted into the same cell), so a detail sits at the
same place in both.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget


class Layout(enum.Enum):
    SIDE_BY_SIDE = "side"
    WIPE = "wipe"


class ABView(QWidget):
    """``wipe_moved(fraction)`` when the user drags the wipe line."""

    wipe_moved = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[QImage | None] = [None, None]
        self.layout_mode = Layout.SIDE_BY_SIDE
        self.wipe = 0.5
        self.labels = ("Result", "Reference")
        self.setMinimumSize(320, 180)
        self.setAccessibleName("Result and reference")

    def sizeHint(self) -> QSize:
        return QSize(800, 360)

    def set_frame(self, which: int, image: QImage) -> None:
        self.images[which] = image
        self.update()

    def set_layout(self, mode: Layout) -> None:
        self.layout_mode = mode
        self.update()

    def set_wipe(self, fraction: float) -> None:
        self.wipe = min(1.0, max(0.0, fraction))
        self.update()

    def _fit(self, image: QImage, cell: QRectF) -> QRectF:
        scale = min(cell.width() / max(1, image.width()), cell.height() / max(1, image.height()))
        w, h = image.width() * scale, image.height() * scale
        return QRectF(cell.center().x() - w / 2, cell.center().y() - h / 2, w, h)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.mouseMoveEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.layout_mode is Layout.WIPE and event.buttons() & Qt.MouseButton.LeftButton:
            self.set_wipe(event.position().x() / max(1, self.width()))
            self.wipe_moved.emit(self.wipe)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(QRectF(0, 0, self.width(), self.height()), QColor(16, 16, 16))
        painter.setPen(QColor(230, 230, 230))
        if self.layout_mode is Layout.SIDE_BY_SIDE:
            half = self.width() / 2
            for n in (0, 1):
                cell = QRectF(n * half + 2, 20, half - 4, self.height() - 22)
                image = self.images[n]
                if image is not None:
                    painter.drawImage(self._fit(image, cell), image, QRectF(image.rect()))
                painter.drawText(QRectF(n * half, 0, half, 20), Qt.AlignmentFlag.AlignCenter, self.labels[n])
        else:
            cell = QRectF(0, 20, self.width(), self.height() - 20)
            x = self.width() * self.wipe
            for n, clip in ((0, QRectF(0, 0, x, self.height())), (1, QRectF(x, 0, self.width() - x, self.height()))):
                image = self.images[n]
                if image is None:
                    continue
                painter.save()
                painter.setClipRect(clip)
                painter.drawImage(self._fit(image, cell), image, QRectF(image.rect()))
                painter.restore()
            painter.setPen(QPen(QColor(255, 255, 255), 2))
            painter.drawLine(int(x), 0, int(x), self.height())
            painter.drawText(QRectF(4, 0, x - 8, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"◀ {self.labels[0]}")
            painter.drawText(QRectF(x + 4, 0, self.width() - x - 8, 20),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{self.labels[1]} ▶")
        painter.end()


__all__ = ["ABView", "Layout"]
