"""Run-time files ship inside the package and are found however it was installed."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from seedance_desktop.core import package_data
from seedance_desktop.core.package_data import (
    ICON_PNG_SIZES,
    data_file,
    icon_png_name,
    license_text,
    sample_clip,
    third_party_notices,
)

REPO = Path(__file__).resolve().parents[2]


def test_sample_clip_is_package_data(tmp_path: Path) -> None:
    clip = sample_clip(tmp_path)
    assert clip is not None and clip.is_file()
    assert clip.parent == REPO / "seedance_desktop" / "data"  # not the repository's resources/
    assert list(tmp_path.iterdir()) == []  # on disk already: nothing copied


def test_a_package_imported_from_a_zip_gets_a_cached_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("seedance_desktop/data/sample_clip.mp4", b"clip bytes")
    monkeypatch.setattr(package_data.resources, "files",
                        lambda _package: zipfile.Path(archive, "seedance_desktop/"))
    copy = sample_clip(tmp_path / "cache")
    assert copy is not None and copy.read_bytes() == b"clip bytes"
    assert copy.is_relative_to(tmp_path / "cache")
    assert package_data.data_path("missing.bin", tmp_path / "cache") is None


def test_notices_and_licence_are_shipped_and_say_gpl() -> None:
    notices = third_party_notices()
    assert "x264" in notices and "LGPL" in notices
    assert "Seedance Desktop itself is free software under the **GNU General Public License, version 3 or\nlater**" in notices
    text = license_text()
    assert text.startswith("                    GNU GENERAL PUBLIC LICENSE") and "Version 3" in text
    # The repository's LICENSE (what GitHub and sdists show) is the same text.
    assert (REPO / "LICENSE").read_text(encoding="utf-8") == text


def test_icon_svg_and_every_png_size_exist() -> None:
    assert b"<svg" in data_file("seedance-desktop.svg").read_bytes()
    for size in ICON_PNG_SIZES:
        data = data_file(icon_png_name(size)).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert (width, height) == (size, size)
        assert len(data) < 64 * 1024
