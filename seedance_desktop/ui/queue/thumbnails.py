"""Row thumbnails, made off the GUI thread (PyAV decoding is CPU-heavy), one at a time."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from seedance_desktop.ui.queue.queue_model import QueueModel

THUMB_SIZE = QSize(64, 36)


class _ThumbJob(QRunnable):
    def __init__(self, loader: ThumbnailLoader, job_id: str, path: str) -> None:
        super().__init__()
        self._loader, self._job_id, self._path = loader, job_id, path

    def run(self) -> None:  # worker thread: PyAV decode + PNG, then a QImage (thread-safe)
        from seedance_desktop.media.thumbs import thumbnail_png

        try:
            image = QImage.fromData(thumbnail_png(self._path, max_side=THUMB_SIZE.width()))
        except Exception:  # noqa: BLE001 - a missing or odd file just has no thumbnail
            return
        if not image.isNull():
            self._loader.made.emit(self._job_id, image)


class ThumbnailLoader(QObject):
    """Makes row thumbnails off the GUI thread, one at a time (decoding is CPU-heavy)."""

    made = Signal(str, QImage)

    def __init__(self, model: QueueModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        model.thumbnail_wanted.connect(self.request)
        self.made.connect(lambda job_id, image: model.set_thumbnail(job_id, QPixmap.fromImage(image)))

    def request(self, job_id: str, path: str) -> None:
        self._pool.start(_ThumbJob(self, job_id, path))

    def wait(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)


__all__ = ["THUMB_SIZE", "ThumbnailLoader"]
