"""Media lists and the worker-thread inspector: facts, limit warnings, conform notes,
thumbnails, max items, URLs, reorder and removal."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread

from seedance_desktop.api.spec import get_model
from seedance_desktop.media.synth import make_clip, make_image
from seedance_desktop.ui.form import media_inspector
from seedance_desktop.ui.form.media_inspector import MediaInspector, media_kind_of
from seedance_desktop.ui.form.media_list import MediaList

SPEC = get_model("bytedance/seedance-2.0-fast-v2v")


@pytest.fixture
def inspector(qtbot) -> MediaInspector:
    inspector = MediaInspector()
    yield inspector
    inspector.wait(10_000)


def make_list(qtbot, inspector: MediaInspector, field: str) -> MediaList:
    widget = MediaList(SPEC.field(field), inspector)
    qtbot.addWidget(widget)
    return widget


def wait_done(qtbot, inspector: MediaInspector) -> None:
    qtbot.waitUntil(lambda: not inspector.busy(), timeout=15_000)


def test_entry_shows_duration_resolution_size_and_thumbnail(qtbot, inspector, media_files) -> None:
    videos = make_list(qtbot, inspector, "video_urls")
    with qtbot.waitSignal(inspector.inspected, timeout=15_000):
        videos.add_sources([str(media_files["video"])])
    lines = videos.list.item(0).text().splitlines()
    assert lines[0] == "[Video 1] clip.mp4"  # the prompt's name for it
    assert lines[1].startswith("4.0 s · 854×480 · ") and lines[1].endswith(" kB")  # decimal, as every limit
    assert len(lines) == 2  # no warning, no conform note: the clip fits every limit
    assert not videos.list.item(0).icon().isNull()
    assert videos.local_problems() == []


def test_probe_and_thumbnail_run_off_the_gui_thread(qtbot, inspector, media_files, monkeypatch) -> None:
    threads: list[object] = []
    real = media_inspector.inspect_file

    def spy(path: str, kind: object) -> object:
        threads.append(threading.current_thread())
        return real(path, kind)

    monkeypatch.setattr(media_inspector, "inspect_file", spy)
    assert inspector.request(str(media_files["image"])) is None
    wait_done(qtbot, inspector)
    assert threads and threads[0] is not threading.main_thread()
    assert QThread.currentThread() is inspector.thread()
    assert inspector.cached(str(media_files["image"])).width == 640


def test_too_short_clip_is_a_blocking_warning(qtbot, inspector, tmp_path) -> None:
    short = make_clip(tmp_path / "short.mp4", duration=1.0)
    videos = make_list(qtbot, inspector, "video_urls")
    videos.add_sources([str(short)])
    wait_done(qtbot, inspector)
    assert "⚠ It is 1.0 s long; reference videos must be at least 2 s." in videos.list.item(0).text()
    assert videos.local_problems() == [
        "Reference video 1 (short.mp4): It is 1.0 s long; reference videos must be at least 2 s. Use a clip of 2 to 15 s."]


def test_small_clip_gets_a_conform_note_and_does_not_block(qtbot, inspector, tmp_path) -> None:
    small = make_clip(tmp_path / "small.mp4", duration=2.5, width=320, height=240, audio=False)
    videos = make_list(qtbot, inspector, "video_urls")
    videos.add_sources([str(small)])
    wait_done(qtbot, inspector)
    text = videos.list.item(0).text()
    assert "↻ Will be conformed before upload: scaled to 768x576, re-encoded as H.264." in text
    assert videos.local_problems() == []


def test_an_image_outside_the_limits_gets_a_conform_note_and_does_not_block(qtbot, inspector, tmp_path) -> None:
    tiny = make_image(tmp_path / "tiny.png", width=200, height=200)
    refs = make_list(qtbot, inspector, "reference_images")
    refs.add_sources([str(tiny)])
    wait_done(qtbot, inspector)
    assert "↻ Will be conformed before upload: scaled to 300x300, saved as PNG." in refs.list.item(0).text()
    assert refs.local_problems() == []


def test_unreadable_file_blocks(qtbot, inspector, tmp_path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    videos = make_list(qtbot, inspector, "video_urls")
    videos.add_sources([str(broken)])
    wait_done(qtbot, inspector)
    problems = videos.local_problems()
    assert problems and "broken.mp4" in problems[0]


def test_single_field_holds_one_entry(qtbot, inspector, media_files) -> None:
    first = make_list(qtbot, inspector, "first_frame_image")
    assert first.max_items == 1 and first.up_button.isHidden()
    refused = first.add_sources([str(media_files["image"]), str(media_files["image"])])
    assert len(refused) == 1
    assert "First frame: at most 1 allowed; 1 not added" in first.message.text()


def test_pasted_url_entry(qtbot, inspector) -> None:
    videos = make_list(qtbot, inspector, "video_urls")
    assert not videos.url_button.isEnabled()
    qtbot.keyClicks(videos.url_edit, "https://example.com/v.mp4")
    qtbot.keyClick(videos.url_edit, Qt.Key.Key_Return)
    assert videos.entries() == ["https://example.com/v.mp4"]
    assert videos.url_edit.text() == ""
    assert "Remote URL" in videos.list.item(0).text()


def test_buttons_follow_the_selection(qtbot, inspector) -> None:
    videos = make_list(qtbot, inspector, "video_urls")
    videos.add_sources(["https://e.com/1.mp4", "https://e.com/2.mp4", "https://e.com/3.mp4"])
    assert not videos.remove_button.isEnabled()
    videos.list.setCurrentRow(0)
    assert videos.remove_button.isEnabled() and not videos.up_button.isEnabled() and videos.down_button.isEnabled()
    with qtbot.waitSignal(videos.changed):
        qtbot.mouseClick(videos.down_button, Qt.MouseButton.LeftButton)
    assert videos.entries() == ["https://e.com/2.mp4", "https://e.com/1.mp4", "https://e.com/3.mp4"]
    qtbot.mouseClick(videos.remove_button, Qt.MouseButton.LeftButton)
    assert videos.entries() == ["https://e.com/2.mp4", "https://e.com/3.mp4"]


@pytest.mark.parametrize(("name", "kind"), [
    ("a.MP4", "video"), ("b.mov", "video"), ("c.PNG", "image"), ("d.jpeg", "image"),
    ("e.wav", "audio"), ("f.mp3", "audio"), ("g.txt", None),
])
def test_routing_by_extension(name: str, kind: str | None) -> None:
    got = media_kind_of(str(Path("/x") / name))
    assert (got.value if got else None) == kind


def test_internal_drag_move_is_noticed(qtbot, inspector) -> None:
    """Dragging an entry inside the list moves model rows; the list must report the new order."""
    from PySide6.QtCore import QModelIndex

    videos = make_list(qtbot, inspector, "video_urls")
    videos.add_sources(["https://e.com/1.mp4", "https://e.com/2.mp4"])
    with qtbot.waitSignal(videos.changed):
        assert videos.list.model().moveRows(QModelIndex(), 0, 1, QModelIndex(), 2)
    assert videos.entries() == ["https://e.com/2.mp4", "https://e.com/1.mp4"]


def test_a_crashing_probe_still_answers(qtbot, inspector, media_files, monkeypatch) -> None:
    def boom(path: str, kind: object) -> object:
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(media_inspector, "inspect_file", boom)
    videos = make_list(qtbot, inspector, "video_urls")
    videos.add_sources([str(media_files["video"])])
    wait_done(qtbot, inspector)
    assert videos.local_problems() == ["clip.mp4 could not be inspected: decoder exploded"]
