"""How the studio's pictures are laid out, as a user sees them: filmstrip thumbnails keep their
proportions, a caption sits right above its picture, and a dialog opens at a share of the
screen (capped) without ever running off a small one."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QImage

from seedance_desktop.ui.studio.ab_view import LABEL_H, ABView, Layout
from seedance_desktop.ui.studio.sizing import FRAME_ALLOWANCE, fitted_size
from seedance_desktop.ui.studio.strip_bar import StripBar


def frame_with_square(width: int = 160, height: int = 90, side: int = 40) -> QImage:
    """A dark 16:9 frame with a white square in its middle: a squeezed picture shows it as a bar."""
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(QColor(20, 40, 60))
    for y in range((height - side) // 2, (height + side) // 2):
        for x in range((width - side) // 2, (width + side) // 2):
            image.setPixelColor(x, y, QColor(255, 255, 255))
    return image


def white_box(image: QImage, x0: int, x1: int, y0: int, y1: int) -> tuple[int, int]:
    """Width and height of the white pixels' bounding box inside the given region."""
    xs, ys = [], []
    for y in range(y0, y1):
        for x in range(x0, x1):
            color = image.pixelColor(x, y)
            if min(color.red(), color.green(), color.blue()) > 200:
                xs.append(x)
                ys.append(y)
    assert xs, "no white pixels in the region"
    return max(xs) - min(xs) + 1, max(ys) - min(ys) + 1


def test_filmstrip_thumbnails_keep_their_proportions(qtbot: Any) -> None:
    strip = StripBar(10.0, 24.0)
    qtbot.addWidget(strip)
    strip.resize(640, 72)
    strip.set_images([frame_with_square() for _ in range(10)])
    shot = strip.grab().toImage()
    # Cell 4 of 10 (clear of the handles): the square drawn into a narrow cell stays square.
    cell = (640 - 16) / 10
    left = int(8 + 4 * cell) + 2
    width, height = white_box(shot, left, int(left + cell) - 4, 8, 64)
    assert height > 20 and abs(width - height) <= 2, (width, height)


@pytest.mark.parametrize("mode", [Layout.SIDE_BY_SIDE, Layout.WIPE])
def test_captions_sit_right_above_the_pictures(qtbot: Any, mode: Layout) -> None:
    view = ABView()
    qtbot.addWidget(view)
    view.resize(800, 600)   # taller than two 16:9 pictures need: each sits in the middle of its cell
    view.set_layout(mode)
    for which in (0, 1):
        view.set_frame(which, frame_with_square())
    picture = view.picture_rect(view.cells()[0])
    assert picture.top() > 3 * LABEL_H
    for which in (0, 1):
        caption = view.caption_rect(which)
        assert caption.bottom() == pytest.approx(picture.top()) and caption.height() == LABEL_H
    shot = view.grab().toImage()
    # The words are drawn there (light pixels), and the band at the very top is empty now.
    band = view.caption_rect(0).toRect()
    assert any(shot.pixelColor(x, y).lightness() > 150
               for y in range(band.top(), band.bottom()) for x in range(band.left(), band.right()))
    line = round(800 * view.wipe) if mode is Layout.WIPE else -100   # the wipe line runs the full height
    assert all(shot.pixelColor(x, y).lightness() < 60
               for y in range(LABEL_H) for x in range(0, 800, 3) if abs(x - line) > 3)


def test_a_caption_stays_in_view_when_the_picture_is_zoomed_past_the_top(qtbot: Any) -> None:
    view = ABView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.set_frame(0, frame_with_square())
    view.set_zoom(8.0)
    assert view.picture_rect(view.cells()[0]).top() < 0
    assert view.caption_rect(0).top() == 0


@pytest.mark.parametrize(("screen", "hint", "minimum", "expected"), [
    # A 1600x1000 screen: the share, larger than the hint.
    (QSize(1600, 1000), QSize(700, 480), QSize(500, 400), QSize(1360, 720)),
    # 1024x700: still the share.
    (QSize(1024, 700), QSize(700, 480), QSize(500, 400), QSize(870, 504)),
    # A 4K screen: the cap.
    (QSize(3840, 2160), QSize(700, 480), QSize(500, 400), QSize(1500, 900)),
    # A small screen where the share is less than the dialog's own hint: the hint.
    (QSize(800, 600), QSize(700, 480), QSize(500, 400), QSize(700, 480)),
    # A screen smaller than the dialog's minimum: the screen wins, less the window frame.
    (QSize(640, 480), QSize(700, 620), QSize(660, 600),
     QSize(640 - FRAME_ALLOWANCE.width(), 480 - FRAME_ALLOWANCE.height())),
])
def test_a_dialog_opens_at_a_share_of_the_screen_within_it(screen: QSize, hint: QSize, minimum: QSize,
                                                            expected: QSize) -> None:
    size = fitted_size(QRect(0, 0, screen.width(), screen.height()), (0.85, 0.72), QSize(1500, 900), hint, minimum)
    assert size == expected
    assert size.width() + FRAME_ALLOWANCE.width() <= screen.width()
    assert size.height() + FRAME_ALLOWANCE.height() <= screen.height()
