"""The A/B compare dialog on its own (clips made here, tiny): one zoom and one pan for both
pictures, a frame step is one frame of the result at the result's own rate (probed, not
assumed), and the reference is drawn with the framing it was sent with."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from seedance_desktop.media.edit import Framing
from seedance_desktop.media.synth import make_clip
from seedance_desktop.ui.studio.compare_dialog import CompareDialog
from tests.ui.live_app import QT_NOISE


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("compare")
    # The same picture at two sizes and rates: the result 320x180 at 30 fps, its reference
    # 640x360 at 24 fps. Where both views show the same spot of the picture they match.
    result = make_clip(folder / "result.mp4", duration=1.0, width=320, height=180, fps=30, audio=False, crf=18)
    reference = make_clip(folder / "reference.mp4", duration=1.0, width=640, height=360, fps=24, audio=False,
                          crf=18)
    return result, reference


def open_dialog(qtbot: Any, clips: tuple[Path, Path], framing: Framing | None = None, *,
                closed_by_test: bool = False) -> CompareDialog:
    dialog = CompareDialog(str(clips[0]), str(clips[1]), framing=framing)
    if not closed_by_test:   # closing deletes it (WA_DeleteOnClose): qtbot must not close it again
        qtbot.addWidget(dialog)
    dialog.resize(900, 560)
    dialog.show()
    qtbot.waitUntil(lambda: all(dialog.frames_seen), timeout=20_000)
    qtbot.waitUntil(lambda: dialog.players[0].duration() > 0 and dialog.fps_known, timeout=20_000)
    return dialog


def pixel(image: QImage, at: QPointF) -> QColor:
    return image.pixelColor(QPoint(round(at.x()), round(at.y())))


def close(a: QColor, b: QColor, tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


@QT_NOISE
def test_zoom_and_pan_apply_to_both_pictures(qtbot: Any, clips: tuple[Path, Path]) -> None:
    dialog = open_dialog(qtbot, clips)
    view = dialog.view
    fitted = view.picture_rect(view.cells()[0])
    dialog.double_button.click()
    assert view.zoom == 2.0 and dialog.zoom_label.text() == "200 %"
    left, right = (view.picture_rect(cell) for cell in view.cells())
    # Both pictures at 200 % of the result's pixels, though the reference has twice as many.
    assert (left.width(), left.height()) == (right.width(), right.height()) == (640, 360)
    assert left.width() > fitted.width()
    view.pan_by(-70, 25)   # as a middle-button drag would
    view.repaint()
    shot = view.grab().toImage()
    for spot in (QPointF(0, 0), QPointF(-60, 30), QPointF(50, -40)):
        a = pixel(shot, view.cells()[0].center() + spot)
        b = pixel(shot, view.cells()[1].center() + spot)
        assert close(a, b), (spot, a.getRgb(), b.getRgb())
    # Ctrl+wheel zooms in further where it points; both pictures follow.
    at = view.cells()[0].center()
    wheel = QWheelEvent(at, view.mapToGlobal(at), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, wheel)
    assert view.zoom == pytest.approx(2.5)
    left, right = (view.picture_rect(cell) for cell in view.cells())
    assert left.size() == right.size() and left.width() == pytest.approx(800)
    # The wipe uses the same zoom and pan: the picture stays where it was.
    dialog.wipe.setChecked(True)
    assert view.zoom == pytest.approx(2.5)
    dialog.fit_button.click()
    # At Fit the label tells the scale the fit came to (the wipe's one cell: the whole width).
    assert view.zoom is None and dialog.zoom_label.text() == f"Fit · {view.fit_scale() * 100:.0f} %"
    fitted = dialog.zoom_label.text()
    dialog.resize(dialog.width() + 200, dialog.height() + 120)   # a bigger view fits at a bigger scale
    qtbot.waitUntil(lambda: dialog.zoom_label.text() != fitted, timeout=5_000)
    assert dialog.zoom_label.text() == f"Fit · {view.fit_scale() * 100:.0f} %"
    # Back to side by side: half the width each, a smaller fit, and the label follows at once.
    in_wipe = view.fit_scale()
    dialog.side.setChecked(True)
    assert view.fit_scale() < in_wipe
    assert dialog.zoom_label.text() == f"Fit · {view.fit_scale() * 100:.0f} %"


@QT_NOISE
def test_a_frame_step_is_one_frame_of_a_30_fps_result(qtbot: Any, clips: tuple[Path, Path]) -> None:
    dialog = open_dialog(qtbot, clips)   # no fps given, as the window opens it: probed
    assert dialog.frame_ms == pytest.approx(1000 / 30)
    frame = 1000 / 30
    dialog.step(+1)
    qtbot.waitUntil(lambda: dialog.players[0].position() > 0, timeout=10_000)
    assert int(dialog.players[0].position() // frame) == 1
    dialog.step(+1)
    qtbot.waitUntil(lambda: int(dialog.players[0].position() // frame) == 2, timeout=10_000)
    dialog.step(-1)
    qtbot.waitUntil(lambda: int(dialog.players[0].position() // frame) == 1, timeout=10_000)


@QT_NOISE
def test_the_reference_is_shown_as_it_was_framed(qtbot: Any, clips: tuple[Path, Path]) -> None:
    dialog = open_dialog(qtbot, clips, Framing.parse("crop:9:16"))
    view = dialog.view
    reference = view.images[1]
    assert reference is not None
    source = view.reference_source(reference)
    assert (source.width(), source.height()) == (202, 360) and source.x() == (640 - 202) // 2
    view.repaint()
    shot = view.grab().toImage()
    cell = view.cells()[1]
    # The cropped-away sides of the reference are not drawn; its middle is.
    assert close(pixel(shot, QPointF(cell.left() + 10, cell.center().y())), QColor(16, 16, 16), 4)
    assert not close(pixel(shot, cell.center()), QColor(16, 16, 16), 4)


class HeldSheet:
    """Wraps the contact sheet's filmstrips: after its first picture the export waits (in the
    worker) until :meth:`release`, so a test can act while it is provably half done."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from seedance_desktop.media import contact_sheet

        self.pictures = 0
        self.released = threading.Event()
        original = contact_sheet.filmstrip

        def filmstrip(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
            def step(done: int, total: int) -> None:
                self.pictures += 1
                if progress is not None:
                    progress(done, total)
                if self.pictures >= 1:
                    self.released.wait(10)
            return original(*args, progress=step, **kwargs)

        monkeypatch.setattr(contact_sheet, "filmstrip", filmstrip)

    def release(self) -> None:
        self.released.set()


@QT_NOISE
def test_the_export_shows_its_progress_and_writes_the_sheet(qtbot: Any, clips: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, clips)
    seen: list[tuple[int, int]] = []
    dialog.export_progress.valueChanged.connect(lambda v: seen.append((v, dialog.export_progress.maximum())))
    target = tmp_path / "sheet.png"
    dialog.export_to(str(target))
    assert dialog.export_progress.isVisible() and dialog.cancel_export_button.isVisible()
    assert not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.exported, timeout=30_000)
    # 2 videos x 6 pictures and the PNG written: the bar went up step by step to 13 of 13.
    steps = [v for v, _ in seen if v > 0]
    assert steps == sorted(steps) and steps[-1] == 13 and len(steps) > 2 and seen[-1][1] == 13
    assert target.is_file() and "Contact sheet saved" in dialog.message.text()
    assert not dialog.export_progress.isVisible() and dialog.export_button.isEnabled()


@QT_NOISE
def test_cancelling_the_export_leaves_no_file(qtbot: Any, clips: tuple[Path, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    held = HeldSheet(monkeypatch)
    dialog = open_dialog(qtbot, clips)
    target = tmp_path / "sheet.png"
    dialog.export_to(str(target))
    job = dialog.export_job
    assert job is not None
    qtbot.waitUntil(lambda: dialog.export_progress.value() == 1, timeout=20_000)   # 1 of 13, held there
    assert dialog.export_progress.maximum() == 13
    dialog.cancel_export_button.click()
    assert job.cancelled and dialog.export_button.isEnabled() and not dialog.cancel_export_button.isVisible()
    assert "cancelled" in dialog.message.text()
    held.release()
    qtbot.waitUntil(job.returned.is_set, timeout=5_000)
    qtbot.wait(50)   # anything the worker still sent has been delivered (and dropped) by now
    assert held.pictures <= 2 and not job.delivered and not dialog.exported
    assert list(tmp_path.iterdir()) == []   # no sheet, no partial file
    assert "cancelled" in dialog.message.text()


@QT_NOISE
def test_closing_the_dialog_cancels_its_export(qtbot: Any, clips: tuple[Path, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import shiboken6

    from seedance_desktop.ui.studio.worker import studio_pool_idle

    held = HeldSheet(monkeypatch)
    dialog = open_dialog(qtbot, clips, closed_by_test=True)
    dialog.export_to(str(tmp_path / "sheet.png"))
    job = dialog.export_job
    assert job is not None
    qtbot.waitUntil(lambda: dialog.export_progress.value() == 1, timeout=20_000)
    dialog.close()
    assert job.cancelled
    held.release()
    qtbot.waitUntil(job.returned.is_set, timeout=5_000)
    assert held.pictures <= 2 and studio_pool_idle(5_000)
    assert list(tmp_path.iterdir()) == []
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5_000)
