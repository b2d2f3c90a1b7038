"""Paints the State cell of running rows: a progress bar with the time left for the local steps
(preparing, uploading, downloading) and, for the server's part (submitted, processing), where
the elapsed time stands against the usual duration. No per-row widgets (10,000 rows)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from seedance_desktop.core.timing import ServerTime
from seedance_desktop.ui.queue.queue_model import COL_STATE, ProgressRole, ServerTimeRole, StateRole
from seedance_desktop.ui.queue.row_text import PROGRESS_STATES

#: The track shows this much more than the usual window, so "about to finish" sits inside it.
_TRACK_MARGIN = 1.25


class ProgressDelegate(QStyledItemDelegate):
    """See the module docstring."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        if index.column() == COL_STATE:
            state = index.data(StateRole)
            progress = index.data(ProgressRole)
            if state in PROGRESS_STATES and progress is not None:
                self._paint_bar(painter, option, index, float(progress))
                return
            server = index.data(ServerTimeRole)
            if isinstance(server, ServerTime):
                self._paint_server_time(painter, option, index, server)
                return
        super().paint(painter, option, index)

    def _paint_bar(self, painter: QPainter, option: QStyleOptionViewItem,
                   index: QModelIndex | QPersistentModelIndex, progress: float) -> None:
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 4, -2, -4)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(max(0.0, min(1.0, progress)) * 1000)
        bar.text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)

    def _paint_server_time(self, painter: QPainter, option: QStyleOptionViewItem,
                           index: QModelIndex | QPersistentModelIndex, server: ServerTime) -> None:
        """The text as usual, over a thin track: the usual window shaded, elapsed time filled.
        Not a progress bar: the server reports no progress, only that it is still working."""
        super().paint(painter, option, index)
        rect = QRectF(option.rect.adjusted(4, 0, -4, -4))
        rect.setTop(rect.bottom() - 4)
        span = max(server.usual_to * _TRACK_MARGIN, server.elapsed, 1.0)
        palette = option.palette
        accent = palette.color(QPalette.ColorRole.Highlight)
        painter.save()
        # Plain rectangles, no antialiasing: a 4 px track needs neither, and this cell is
        # repainted every second for every running row in view (the idle-cost benchmark).
        painter.setPen(Qt.PenStyle.NoPen)
        track = QColor(palette.color(QPalette.ColorRole.Mid))
        track.setAlpha(90)
        painter.setBrush(track)
        painter.drawRect(rect)
        band = QColor(accent)
        band.setAlpha(70)
        painter.setBrush(band)
        left = rect.left() + rect.width() * server.usual_from / span
        right = rect.left() + rect.width() * server.usual_to / span
        painter.drawRect(QRectF(left, rect.top(), right - left, rect.height()))
        fill = QColor("#ef6c00") if server.overdue else accent
        painter.setBrush(fill)
        painter.drawRect(QRectF(rect.left(), rect.top(), rect.width() * min(1.0, server.elapsed / span), rect.height()))
        painter.restore()


__all__ = ["ProgressDelegate"]
