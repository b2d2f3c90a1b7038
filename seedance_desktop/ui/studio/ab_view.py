"""The compare view's picture: two frames (A: the result, B: its reference) side by side, or
one over the other with a wipe line the user drags (mouse or the slider) to reveal B.

One zoom and one pan serve both pictures, so a detail sits at the same place in both. The zoom
counts screen pixels per pixel of the result (``None``: fit the cell); the reference is drawn
with the job's framing (the crop or pad that was sent) into the very rectangle the result
occupies, so what the model saw lines up with what it made. The pan is the point of the
picture (0..1 on each axis) held at the centre of the cell.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from seedance_desktop.media.edit import FrameMode, Framing, crop_rect, framed_size
from seedance_desktop.media.errors import MediaError

ZOOM_STEPS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
MIN_ZOOM, MAX_ZOOM = ZOOM_STEPS[0], ZOOM_STEPS[-1]
LABEL_H = 20


class Layout(enum.Enum):
    SIDE_BY_SIDE = "side"
    WIPE = "wipe"


class ABView(QWidget):
    """``wipe_moved(fraction)`` when the user drags the wipe line; ``zoom_changed()`` when the
    zoom or pan changes (by wheel, keys or drag)."""

    wipe_moved = Signal(float)
    zoom_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[QImage | None] = [None, None]
        self.layout_mode = Layout.SIDE_BY_SIDE
        self.wipe = 0.5
        self.labels = ("Result", "Reference")
        self.framing: Framing | None = None    # how the reference was framed when it was sent
        self.zoom: float | None = None         # screen px per result px; None: fit
        self.centre = QPointF(0.5, 0.5)        # the picture point shown at the cell's centre
        self._pan_from: tuple[QPointF, QPointF] | None = None
        self.setMinimumSize(320, 180)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Result and reference")
        self.setToolTip("Ctrl+wheel or Ctrl+= / Ctrl+- zoom both pictures; drag with the middle button "
                        "or Shift+drag (or the arrow keys) to pan both.")

    def sizeHint(self) -> QSize:
        return QSize(800, 360)

    def set_frame(self, which: int, image: QImage) -> None:
        before = self._base()
        self.images[which] = image
        self.update()
        if self._base() != before:   # the size zoom is counted in changed: so did the fitted scale
            self.zoom_changed.emit()

    def set_layout(self, mode: Layout) -> None:
        self.layout_mode = mode
        self._clamp()
        self.update()
        self.zoom_changed.emit()   # a half-width cell or the whole width: the fitted scale differs

    def set_wipe(self, fraction: float) -> None:
        self.wipe = min(1.0, max(0.0, fraction))
        self.update()

    def set_framing(self, framing: Framing | None) -> None:
        self.framing = framing
        self.update()

    # ----- zoom and pan ---------------------------------------------------------------------
    def cells(self) -> list[QRectF]:
        """Where the pictures are drawn: two halves side by side, or one cell for the wipe."""
        h = max(1.0, self.height() - LABEL_H)
        if self.layout_mode is Layout.SIDE_BY_SIDE:
            half = self.width() / 2
            return [QRectF(n * half + 2, LABEL_H, max(1.0, half - 4), h) for n in (0, 1)]
        cell = QRectF(0, LABEL_H, max(1, self.width()), h)
        return [cell, cell]

    def _base(self) -> tuple[int, int]:
        """The size zoom is counted in: the result's pixels (the reference's framed size until
        the result's first frame arrives)."""
        for image in (self.images[0], self.images[1]):
            if image is not None and not image.isNull():
                if image is self.images[1]:
                    return framed_size(image.width(), image.height(), self._safe_framing(image))
                return image.width(), image.height()
        return 16, 9

    def fit_scale(self) -> float:
        w, h = self._base()
        cell = self.cells()[0]
        return min(cell.width() / max(1, w), cell.height() / max(1, h))

    def scale(self) -> float:
        return self.fit_scale() if self.zoom is None else self.zoom

    def set_zoom(self, zoom: float | None, anchor: QPointF | None = None) -> None:
        """``None`` fits (and centres); a factor is clamped to MIN_ZOOM..MAX_ZOOM. ``anchor``
        (widget coordinates) keeps the picture point under it in place: zoom where you point."""
        if zoom is None:
            self.zoom, self.centre = None, QPointF(0.5, 0.5)
        else:
            zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
            if anchor is not None:
                cell = next((c for c in self.cells() if c.contains(anchor)), self.cells()[0])
                before = self._picture_point(anchor, cell, self.scale())
                self.zoom = zoom
                after = self._picture_point(anchor, cell, zoom)
                self.centre = QPointF(self.centre.x() + before.x() - after.x(),
                                      self.centre.y() + before.y() - after.y())
            else:
                self.zoom = zoom
        self._clamp()
        self.update()
        self.zoom_changed.emit()

    def zoom_in(self) -> None:
        now = self.scale()
        self.set_zoom(next((z for z in ZOOM_STEPS if z > now * 1.01), MAX_ZOOM))

    def zoom_out(self) -> None:
        now = self.scale()
        self.set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < now * 0.99), MIN_ZOOM))

    def pan_by(self, dx: float, dy: float) -> None:
        """Move both pictures by ``dx``, ``dy`` screen pixels."""
        w, h = self._base()
        s = self.scale()
        self.centre = QPointF(self.centre.x() - dx / (w * s), self.centre.y() - dy / (h * s))
        self._clamp()
        self.update()
        self.zoom_changed.emit()

    def _clamp(self) -> None:
        """Keep the picture over the cell: no panning into emptiness, centred when it fits."""
        w, h = self._base()
        s = self.scale()
        cell = self.cells()[0]
        x, y = self.centre.x(), self.centre.y()
        half_x, half_y = cell.width() / (2 * w * s), cell.height() / (2 * h * s)
        x = 0.5 if half_x >= 0.5 else min(1 - half_x, max(half_x, x))
        y = 0.5 if half_y >= 0.5 else min(1 - half_y, max(half_y, y))
        self.centre = QPointF(x, y)

    def _picture_point(self, at: QPointF, cell: QRectF, s: float) -> QPointF:
        w, h = self._base()
        return QPointF(self.centre.x() + (at.x() - cell.center().x()) / (w * s),
                       self.centre.y() + (at.y() - cell.center().y()) / (h * s))

    def picture_rect(self, cell: QRectF) -> QRectF:
        """Where the result's picture lies for ``cell`` (the reference's framed picture is
        fitted into the same rectangle)."""
        w, h = self._base()
        s = self.scale()
        return QRectF(cell.center().x() - self.centre.x() * w * s, cell.center().y() - self.centre.y() * h * s,
                      w * s, h * s)

    def _safe_framing(self, image: QImage) -> Framing | None:
        """The framing when it applies to this picture (a rectangle drawn for another clip
        is ignored rather than failing the paint)."""
        if self.framing is None:
            return None
        try:
            framed_size(image.width(), image.height(), self.framing)
        except MediaError:
            return None
        return self.framing

    def reference_source(self, image: QImage) -> QRectF:
        """The region of the reference's picture the result was made from, in its pixels: the
        crop, or (for a pad) the padded canvas reaching past the picture."""
        framing = self._safe_framing(image)
        iw, ih = image.width(), image.height()
        if framing is None:
            return QRectF(0, 0, iw, ih)
        if framing.mode is FrameMode.CROP:
            r = crop_rect(iw, ih, framing)
            return QRectF(r.x, r.y, r.width, r.height)
        cw, ch = framed_size(iw, ih, framing)
        return QRectF(-(cw - iw) / 2, -(ch - ih) / 2, cw, ch)

    def _draw(self, painter: QPainter, which: int, cell: QRectF, clip: QRectF) -> None:
        image = self.images[which]
        if image is None or image.isNull():
            return
        target = self.picture_rect(cell)
        painter.save()
        painter.setClipRect(clip.intersected(cell))
        if which == 0:
            painter.drawImage(target, image, QRectF(image.rect()))
        else:
            source = self.reference_source(image)
            k = min(target.width() / source.width(), target.height() / source.height())
            framed = QRectF(target.center().x() - source.width() * k / 2,
                            target.center().y() - source.height() * k / 2,
                            source.width() * k, source.height() * k)
            painter.setClipRect(framed, Qt.ClipOperation.IntersectClip)
            painter.fillRect(framed, QColor(0, 0, 0))   # pad bars, as sent
            whole = QRectF(framed.x() - source.x() * k, framed.y() - source.y() * k,
                           image.width() * k, image.height() * k)
            painter.drawImage(whole, image, QRectF(image.rect()))
        painter.restore()

    def caption_rect(self, which: int) -> QRectF:
        """Where picture ``which``'s caption goes: right above the picture (a fitted picture
        sits in the middle of its cell; a caption at the cell's top would float far from it),
        at the top when the picture reaches past it."""
        cell = self.cells()[which]
        top = min(max(self.picture_rect(cell).top(), float(LABEL_H)), cell.bottom()) - LABEL_H
        if self.layout_mode is Layout.SIDE_BY_SIDE:
            half = self.width() / 2
            return QRectF(which * half, top, half, LABEL_H)
        x = self.width() * self.wipe
        return QRectF(4, top, x - 8, LABEL_H) if which == 0 else QRectF(x + 4, top, self.width() - x - 8, LABEL_H)

    # ----- input ----------------------------------------------------------------------------
    def _pan_button(self, event: QMouseEvent) -> bool:
        buttons = event.buttons()
        return bool(buttons & Qt.MouseButton.MiddleButton) or bool(
            buttons & Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.ShiftModifier)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._pan_button(event):
            self._pan_from = (event.position(), self.centre)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        self.mouseMoveEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            start, centre = self._pan_from
            self.centre = centre
            delta = event.position() - start
            self.pan_by(delta.x(), delta.y())
            return
        if self.layout_mode is Layout.WIPE and event.buttons() & Qt.MouseButton.LeftButton:
            self.set_wipe(event.position().x() / max(1, self.width()))
            self.wipe_moved.emit(self.wipe)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.unsetCursor()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if steps:
                self.set_zoom(self.scale() * 1.25 ** steps, event.position())
        elif self.zoom is not None:
            delta = event.angleDelta()
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:   # Shift+wheel: sideways
                self.pan_by(delta.y() / 2, delta.x() / 2)
            else:
                self.pan_by(delta.x() / 2, delta.y() / 2)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {Qt.Key.Key_Left: (40, 0), Qt.Key.Key_Right: (-40, 0), Qt.Key.Key_Up: (0, 40),
                 Qt.Key.Key_Down: (0, -40)}
        move = moves.get(Qt.Key(event.key()))
        if move is not None and self.zoom is not None:
            self.pan_by(*move)
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._clamp()
        super().resizeEvent(event)
        if self.zoom is None:
            self.zoom_changed.emit()   # the fitted scale follows the size

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(QRectF(0, 0, self.width(), self.height()), QColor(16, 16, 16))
        painter.setPen(QColor(230, 230, 230))
        cells = self.cells()
        if self.layout_mode is Layout.SIDE_BY_SIDE:
            half = self.width() / 2
            for n in (0, 1):
                self._draw(painter, n, cells[n], cells[n])
                painter.drawText(self.caption_rect(n), Qt.AlignmentFlag.AlignCenter, self.labels[n])
        else:
            x = self.width() * self.wipe
            self._draw(painter, 0, cells[0], QRectF(0, 0, x, self.height()))
            self._draw(painter, 1, cells[1], QRectF(x, 0, self.width() - x, self.height()))
            painter.setPen(QPen(QColor(255, 255, 255), 2))
            painter.drawLine(int(x), 0, int(x), self.height())
            painter.drawText(self.caption_rect(0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"◀ {self.labels[0]}")
            painter.drawText(self.caption_rect(1), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{self.labels[1]} ▶")
        painter.end()


__all__ = ["ABView", "Layout", "ZOOM_STEPS"]
