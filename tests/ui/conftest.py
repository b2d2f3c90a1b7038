"""Qt fixtures shared by every UI test (pytest-qt provides ``qapp`` and ``qtbot``).

Kept generic on purpose: several owners write tests in this folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from seedance_desktop.media.synth import make_audio, make_clip, make_image

#: The offscreen platform plugin warns whenever a shown top-level widget gets size constraints;
#: it is noise about the test platform, not about our code.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(scope="session")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small valid clip, image and audio file, made once per run; tests must not modify them."""
    tmp_path = tmp_path_factory.mktemp("ui-media")
    return {
        "video": make_clip(tmp_path / "clip.mp4", duration=4.0),
        "image": make_image(tmp_path / "still.png", width=640, height=640),
        "audio": make_audio(tmp_path / "tone.wav", duration=3.0),
    }


@pytest.fixture
def loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the test's QApplication, closed after the test."""
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    try:
        yield event_loop
    finally:
        event_loop.close()
        asyncio.set_event_loop(None)
        # This test's QObjects (controllers own QTimers) are freed on the GUI thread right after
        # this, by tests/conftest.py's collection after every test with a QApplication.


@pytest.fixture
def form(qtbot: Any) -> Iterator[Any]:
    """A bare request form (no runtime behind it); its probe workers are waited for at the end."""
    from seedance_desktop.ui.form.request_form import RequestForm

    widget = RequestForm()
    qtbot.addWidget(widget)
    yield widget
    widget.inspector.wait(10_000)
