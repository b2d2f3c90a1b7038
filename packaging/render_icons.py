"""Render the app icon's PNG sizes from its SVG with Qt's own SVG renderer.

Run after editing ``seedance_desktop/data/seedance-desktop.svg``::

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py

The PNGs are committed (a few KiB each) beside the SVG, in the package's data folder: the
window uses them as its icon and ``resources/install_desktop_entry.py`` installs them into the
user's icon theme (hicolor) for desktops that do not draw SVG icons.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from seedance_desktop.core.package_data import ICON_PNG_SIZES, ICON_SVG_NAME, data_file, icon_png_name


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = data_file(ICON_SVG_NAME)
    renderer = QSvgRenderer(svg.read_bytes())
    if not renderer.isValid():
        print(f"{ICON_SVG_NAME}: not a valid SVG", file=sys.stderr)
        return 1
    folder = data_file(ICON_SVG_NAME).parent  # type: ignore[attr-defined]  # a checkout: a real folder
    for size in ICON_PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = folder / icon_png_name(size)
        if not image.save(str(target), "PNG", 9):
            print(f"could not write {target}", file=sys.stderr)
            return 1
        print(f"{target.name}: {target.stat().st_size} bytes")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
