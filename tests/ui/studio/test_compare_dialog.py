"""The A/B compare dialog on its own (clips made here, tiny): one zoom and one pan for both
pictures, a frame step is one frame of the result at the result's own rate (probed, not
assumed), and the reference is drawn with the framing it was sent with."""

from __future__ import annotations

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


def open_dialog(qtbot: Any, clips: tuple[Path, Path], framing: Framing | None = None) -> CompareDialog:
    dialog = CompareDialog(str(clips[0]), str(clips[1]), framing=framing)
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
    assert view.zoom is None and dialog.zoom_label.text() == "Fit"


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
