"""The preview frame with the framing drawn over it: a crop box of the output ratio that the
user drags into place (mouse, or the arrow keys), or the padded canvas with bars.

The box is kept in the source's displayed pixels (``media.edit.Rect``) so it reaches the
recipe as ``crop:W:H@x,y,w,h`` exactly as ``media.edit.Framing.parse`` reads it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from seedance_desktop.media.edit import FrameMode, Framing, Rect, crop_rect


class CropView(QWidget):
    """``changed()`` when the box moves. ``framing()`` is the current choice (None: as it is)."""

    changed = Signal()

    def __init__(self, width: int, height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_w, self.source_h = width, height
        self.mode: FrameMode | None = None
        self.ratio = "16:9"
        self.box: Rect | None = None
        self._image: QImage | None = None
        self._grab: QPointF | None = None
        self.setMinimumSize(240, 150)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Crop box on the preview")
        self.setToolTip("Drag the box (or use the arrow keys) to choose what the crop keeps.")

    def sizeHint(self) -> QSize:
        return QSize(360, 220)

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def has_picture(self) -> bool:
        """Whether the preview frame has arrived (it is decoded in a worker)."""
        return self._image is not None

    def set_framing(self, mode: FrameMode | None, ratio: str, rect: Rect | None = None) -> None:
        self.mode, self.ratio = mode, ratio
        if mode is FrameMode.CROP:
            self.box = crop_rect(self.source_w, self.source_h, Framing(FrameMode.CROP, ratio, rect))
        else:
            self.box = None
        self.update()
        self.changed.emit()

    def framing(self) -> Framing | None:
        if self.mode is None:
            return None
        if self.mode is FrameMode.CROP:
            centred = crop_rect(self.source_w, self.source_h, Framing(FrameMode.CROP, self.ratio))
            # A centred box is written as plain "crop:W:H": it still fits if the clip changes.
            return Framing(FrameMode.CROP, self.ratio, None if self.box == centred else self.box)
        return Framing(FrameMode.PAD, self.ratio)

    # ----- geometry -------------------------------------------------------------------------
    def _picture_area(self) -> QRectF:
        """Where the source picture is drawn (letterboxed inside the widget; inside the padded
        canvas in pad mode)."""
        w, h = float(self.source_w), float(self.source_h)
        if self.mode is FrameMode.PAD:
            num, den = (int(v) for v in self.ratio.split(":"))
            canvas_w, canvas_h = (w, w * den / num) if w / h > num / den else (h * num / den, h)
        else:
            canvas_w, canvas_h = w, h
        scale = min((self.width() - 8) / canvas_w, (self.height() - 8) / canvas_h)
        cx, cy = self.width() / 2, self.height() / 2
        return QRectF(cx - w * scale / 2, cy - h * scale / 2, w * scale, h * scale)

    def _scale(self) -> float:
        return self._picture_area().width() / self.source_w

    def _move_by(self, dx: float, dy: float) -> None:
        if self.box is None:
            return
        r = self.box
        x = int(round(min(max(0.0, r.x + dx), self.source_w - r.width)))
        y = int(round(min(max(0.0, r.y + dy), self.source_h - r.height)))
        if (x, y) != (r.x, r.y):
            self.box = Rect(x, y, r.width, r.height)
            self.update()
            self.changed.emit()

    # ----- input ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._grab = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is None or self.box is None:
            return
        delta = event.position() - self._grab
        self._grab = event.position()
        scale = self._scale() or 1.0
        self._move_by(delta.x() / scale, delta.y() / scale)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._grab = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = 10.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 2.0
        moves = {Qt.Key.Key_Left: (-step, 0.0), Qt.Key.Key_Right: (step, 0.0),
                 Qt.Key.Key_Up: (0.0, -step), Qt.Key.Key_Down: (0.0, step)}
        move = moves.get(Qt.Key(event.key()))
        if move is None or self.box is None:
            super().keyPressEvent(event)
            return
        self._move_by(*move)
        event.accept()

    # ----- drawing --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect_f(), QColor(20, 20, 20))
        area = self._picture_area()
        if self.mode is FrameMode.PAD:
            num, den = (int(v) for v in self.ratio.split(":"))
            scale = self._scale()
            w, h = float(self.source_w), float(self.source_h)
            canvas_w, canvas_h = (w, w * den / num) if w / h > num / den else (h * num / den, h)
            canvas = QRectF(self.width() / 2 - canvas_w * scale / 2, self.height() / 2 - canvas_h * scale / 2,
                            canvas_w * scale, canvas_h * scale)
            painter.fillRect(canvas, QColor(0, 0, 0))
            painter.setPen(QPen(QColor(200, 200, 200), 1, Qt.PenStyle.DashLine))
            painter.drawRect(canvas)
        if self._image is not None:
            painter.drawImage(area, self._image, QRectF(self._image.rect()))
        if self.mode is FrameMode.CROP and self.box is not None:
            scale = self._scale()
            r = self.box
            box = QRectF(area.left() + r.x * scale, area.top() + r.y * scale, r.width * scale, r.height * scale)
            shade = QColor(0, 0, 0, 150)
            painter.fillRect(QRectF(area.left(), area.top(), area.width(), box.top() - area.top()), shade)
            painter.fillRect(QRectF(area.left(), box.bottom(), area.width(), area.bottom() - box.bottom()), shade)
            painter.fillRect(QRectF(area.left(), box.top(), box.left() - area.left(), box.height()), shade)
            painter.fillRect(QRectF(box.right(), box.top(), area.right() - box.right(), box.height()), shade)
            painter.setPen(QPen(self.palette().color(self.palette().ColorRole.Highlight), 2))
            painter.drawRect(box)
        painter.end()

    def rect_f(self) -> QRectF:
        return QRectF(0, 0, self.width(), self.height())


__all__ = ["CropView"]
