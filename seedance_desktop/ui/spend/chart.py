"""A painted bar chart of spend per day (QPainter: no web view, no QtCharts dependency)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from seedance_desktop.core.cost import usd


def nice_ceiling(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** int(f"{value:e}".split("e")[1])
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


class DailyChart(QWidget):
    """Bars of USD per day, oldest left; today's bar highlighted; the axis labelled in dollars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: list[tuple[dt.date, float]] = []
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Spend per day")

    def sizeHint(self) -> QSize:
        return QSize(560, 200)

    def set_series(self, series: list[tuple[dt.date, float]]) -> None:
        self._series = list(series)
        total = sum(v for _, v in series)
        self.setToolTip(f"{len(series)} days, {usd(total)} in all")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlpha(40)
        bar = pal.color(QPalette.ColorRole.Highlight)
        muted = QColor(bar)
        muted.setAlpha(150)
        metrics = painter.fontMetrics()
        peak = nice_ceiling(max((v for _, v in self._series), default=0.0))
        ticks = [usd(peak * i / 4) for i in range(5)]  # "$0.125" or "$1,250.00": as wide as they are
        left = max(metrics.horizontalAdvance(tick) for tick in ticks) + 8
        bottom, top, right = metrics.height() + 6, 8, 8
        area = QRectF(left, top, max(1, self.width() - left - right), max(1, self.height() - top - bottom))
        painter.setPen(QPen(grid, 1))
        for i in range(5):  # horizontal grid lines with their dollar labels
            y = area.bottom() - area.height() * i / 4
            painter.drawLine(int(area.left()), int(y), int(area.right()), int(y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - metrics.height() / 2, left - 6, metrics.height()),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), ticks[i])
            painter.setPen(QPen(grid, 1))
        if not self._series:
            painter.setPen(text)
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter), "No spend yet")
            return
        slot = area.width() / len(self._series)
        width = max(2.0, slot * 0.7)
        label_every = max(1, int(len(self._series) / max(1, area.width() / (metrics.horizontalAdvance("00/00") + 10))) + 1)
        last = len(self._series) - 1
        for i, (day, value) in enumerate(self._series):
            x = area.left() + slot * i + (slot - width) / 2
            height = area.height() * (value / peak)
            if value > 0:
                painter.fillRect(QRectF(x, area.bottom() - height, width, height), bar if i == last else muted)
            if (last - i) % label_every == 0:  # counted from today, so today always has its date
                painter.setPen(text)
                painter.drawText(QRectF(x - 20, area.bottom() + 3, width + 40, metrics.height()),
                                 int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), day.strftime("%d/%m"))
        painter.end()


__all__ = ["DailyChart", "nice_ceiling"]
