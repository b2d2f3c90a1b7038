"""The trim editor over a row of the form's media list: the filmstrip arrives from a worker,
the handles step frame by frame, the limits are shown live and block OK, and OK writes the
selection and framing into the row, its words and the recipe's inputs (kept by a reload)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox

from seedance_desktop.media.edit import Framing
from seedance_desktop.media.synth import make_clip
from seedance_desktop.ui.form.request_form import RequestForm

V2V = "bytedance/seedance-2.0-fast-v2v"


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("trim") / "long.mp4", duration=20.0, width=640, height=360,
                     audio=False)



def open_editor(qtbot, form: RequestForm, clip: Path):
    form.set_recipe(V2V, {"prompt": "[Video 1] as ink", "ratio": "9:16"}, [])
    videos = form.media["video_urls"]
    videos.add_sources([str(clip)])
    qtbot.waitUntil(lambda: videos.cached_inspection(0) is not None, timeout=20_000)
    videos.list.setCurrentRow(0)
    assert videos.trim_button.isEnabled()
    videos.trim_button.click()
    dialog = form.trim_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    qtbot.waitUntil(lambda: dialog.images_ready, timeout=20_000)
    return videos, dialog


def test_trim_and_crop_reach_the_row_and_the_recipe(qtbot, form, long_clip, monkeypatch) -> None:
    threads: list[object] = []
    from seedance_desktop.media import contact_sheet

    original = contact_sheet.filmstrip

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(contact_sheet, "filmstrip", spy)
    videos, dialog = open_editor(qtbot, form, long_clip)
    assert threads and all(t is not threading.main_thread() for t in threads)   # decoded in a worker
    # Default: the first seconds that fit (15 s of the 20 s clip).
    assert (dialog.strip.start, dialog.strip.end) == (0.0, 15.0)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    # Too short a selection: the limit is shown and OK is blocked.
    dialog.end_spin.setValue(1.0)
    assert not ok.isEnabled() and "at least 2 s" in dialog.limits.text()
    dialog.start_spin.setValue(3.0)
    dialog.end_spin.setValue(7.0)
    assert ok.isEnabled() and "4.00 s" in dialog.limits.text()
    # Frame stepping on the out handle: one frame (1/24 s) on and back.
    qtbot.keyClick(dialog.strip, Qt.Key.Key_O)
    qtbot.keyClick(dialog.strip, Qt.Key.Key_Period)
    assert dialog.strip.end == pytest.approx(7.0 + 1 / 24)
    qtbot.keyClick(dialog.strip, Qt.Key.Key_Comma)
    assert dialog.strip.end == pytest.approx(7.0)
    # 16:9 clip, 9:16 output: framing is offered; crop, moved to the left edge.
    assert dialog.frame_group is not None
    dialog.mode_buttons.button(1).click()
    view = dialog.crop_view
    assert view is not None and view.box is not None and view.box.width < 640
    view.setFocus()
    for _ in range(200):
        qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.box.x == 0
    ok.click()
    assert not dialog.isVisible()
    item = videos.input_at(0)
    assert (item.trim_start, item.trim_end) == (3.0, 7.0)
    framing = Framing.parse(item.framing or "")
    assert framing.ratio == "9:16" and framing.rect is not None and framing.rect.x == 0
    assert "3.0-7.0 s of 20.0 s" in videos.list.item(0).text()
    _, _, inputs = form.recipe()
    assert [(i.trim_start, i.trim_end, i.framing) for i in inputs] == [(3.0, 7.0, item.framing)]
    # The selection travels with the recipe: Duplicate/Open recipe load it back into the row.
    other = RequestForm()
    qtbot.addWidget(other)
    other.set_recipe(*form.recipe())
    assert [(i.trim_start, i.trim_end, i.framing) for i in other.recipe()[2]] == [(3.0, 7.0, item.framing)]
    other.inspector.wait(10_000)


def test_undo_of_a_replacement_brings_the_trim_back(qtbot, form, long_clip) -> None:
    videos, dialog = open_editor(qtbot, form, long_clip)
    dialog.start_spin.setValue(2.0)
    dialog.end_spin.setValue(6.0)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    form.set_recipe(V2V, {"prompt": "something else"}, [])
    assert form.recipe()[2] == []
    form.undo()
    assert [(i.trim_start, i.trim_end) for i in form.recipe()[2]] == [(2.0, 6.0)]


def test_dragging_on_the_strip_moves_the_nearer_handle(qtbot, form, long_clip) -> None:
    _, dialog = open_editor(qtbot, form, long_clip)
    strip = dialog.strip
    strip.resize(416, strip.height())   # 400 px of strip for 20 s: 20 px a second
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, pos=QPoint(8 + 20 * 4, 30))
    qtbot.mouseRelease(strip, Qt.MouseButton.LeftButton, pos=QPoint(8 + 20 * 4, 30))
    assert strip.active == "in" and strip.start == pytest.approx(4.0, abs=0.05) and strip.end == 15.0
    assert dialog.start_spin.value() == pytest.approx(strip.start)
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, pos=QPoint(8 + 20 * 12, 30))
    assert strip.active == "out" and strip.end == pytest.approx(12.0, abs=0.05)


def test_audio_is_trimmed_without_pictures(qtbot, form, media_files) -> None:
    form.set_recipe(V2V, {"prompt": "[Video 1] with [Audio 1]"}, [])
    audio = form.media["audio_urls"]
    audio.add_sources([str(media_files["audio"])])
    qtbot.waitUntil(lambda: audio.cached_inspection(0) is not None, timeout=20_000)
    audio.list.setCurrentRow(0)
    audio.trim_button.click()
    dialog = form.trim_dialog
    assert dialog is not None and dialog.frame_group is None   # no framing for sound
    dialog.start_spin.setValue(0.5)
    dialog.end_spin.setValue(2.0)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert [(i.field, i.trim_start, i.trim_end) for i in form.recipe()[2]] == [("audio_urls", 0.5, 2.0)]


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("trim-short") / "short.mp4", duration=4.0, width=320, height=180,
                     audio=False)


class HeldDecoder:
    """Wraps the filmstrip's decoding: the first thumbnail goes through, the second waits (in
    the worker, before the decoder moves on) until :meth:`release`, so a test can act while a
    strip is provably half decoded. Counts the thumbnails made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from seedance_desktop.media import contact_sheet

        self.made = 0
        self.released = threading.Event()
        original = contact_sheet.filmstrip

        def filmstrip(*args, on_picture=None, **kwargs):
            def made(index, picture):
                self.made += 1
                if self.made >= 2:
                    self.released.wait(10)
                if on_picture is not None:
                    on_picture(index, picture)
            return original(*args, on_picture=made, **kwargs)

        monkeypatch.setattr(contact_sheet, "filmstrip", filmstrip)

    def release(self) -> None:
        self.released.set()


def test_closing_the_editor_mid_filmstrip_cancels_its_decoding(qtbot, form, long_clip, monkeypatch) -> None:
    from seedance_desktop.core.priority import BACKGROUND_NICENESS, thread_niceness
    from seedance_desktop.ui.studio.worker import run_in_worker, studio_pool_idle

    held = HeldDecoder(monkeypatch)
    form.set_recipe(V2V, {"prompt": "[Video 1] as ink", "ratio": "16:9"}, [])
    videos = form.media["video_urls"]
    videos.add_sources([str(long_clip)])
    qtbot.waitUntil(lambda: videos.cached_inspection(0) is not None, timeout=20_000)
    dialog = form.open_trim("video_urls", 0)
    assert dialog is not None and dialog.frame_group is None   # only the strip decodes
    # The strip fills in as thumbnails arrive: the first is shown while the second decodes.
    qtbot.waitUntil(lambda: dialog.strip.images_shown() == 1, timeout=20_000)
    assert "1 of 10" in dialog.status.text() and not dialog.images_ready
    job = dialog.jobs["strip"]
    assert job.pending and not job.returned.is_set()

    dialog.close()
    assert job.cancelled
    held.release()
    # The worker stops at its next frame: at most the thumbnail in hand is finished (uncancelled,
    # the released decoder would make all 10).
    qtbot.waitUntil(job.returned.is_set, timeout=5_000)
    assert held.made in (1, 2) and not job.delivered
    assert studio_pool_idle(5_000)

    # The pool is free: the next job runs at once, at the worker's lowered priority (Linux).
    answers: list[object] = []
    run_in_worker(lambda _job: thread_niceness(), lambda niceness, error: answers.append(niceness))
    qtbot.waitUntil(lambda: bool(answers), timeout=5_000)
    if thread_niceness() is not None:
        assert isinstance(answers[0], int) and answers[0] >= BACKGROUND_NICENESS
    assert videos.input_at(0).trim_end is None


@pytest.mark.qt_log_ignore("does not support raise", "does not support activateWindow",
                           "does not support propagateSizeHints")   # the offscreen platform
def test_opening_another_clip_cancels_the_stale_filmstrip(qtbot, form, long_clip, short_clip, monkeypatch) -> None:
    import shiboken6

    held = HeldDecoder(monkeypatch)
    form.set_recipe(V2V, {"prompt": "[Video 1] and [Video 2]", "ratio": "16:9"}, [])
    videos = form.media["video_urls"]
    videos.add_sources([str(long_clip), str(short_clip)])
    qtbot.waitUntil(lambda: all(videos.cached_inspection(n) is not None for n in (0, 1)), timeout=20_000)
    first = form.open_trim("video_urls", 0)
    assert first is not None
    qtbot.waitUntil(lambda: first.strip.images_shown() == 1, timeout=20_000)
    stale = first.jobs["strip"]
    assert form.open_trim("video_urls", 0) is first   # the same clip again: that editor, no new decode

    second = form.open_trim("video_urls", 1)
    assert second is not None and second is not first
    assert stale.cancelled    # the first editor was closed and its decoding cancelled...
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=5_000)
    held.release()
    # ...so the new clip's strip does not wait for the rest of the old one.
    qtbot.waitUntil(lambda: second.images_ready, timeout=20_000)
    assert stale.returned.is_set() and not stale.delivered
    assert held.made in (1 + 10, 2 + 10)   # the stale strip stopped; the new one made its 10


def test_continue_and_compare_only_for_a_finished_result(tmp_path: Path) -> None:
    from seedance_desktop.core.job import InputFile, Job, JobState
    from seedance_desktop.ui.queue.queue_panel import enabled_actions

    video = make_clip(tmp_path / "out.mp4", duration=1.0, width=320, height=240, audio=False)
    source = tmp_path / "ref.mp4"
    source.write_bytes(video.read_bytes())
    job = Job(id="j1", model=V2V, request={"prompt": "x"}, state=JobState.DONE, video_path=str(video),
              inputs=[InputFile("video_urls", 0, str(source))])
    assert enabled_actions(job)["continue"] and enabled_actions(job)["compare"]
    queued = Job(id="j2", model=V2V, request={"prompt": "x"}, state=JobState.QUEUED)
    assert not enabled_actions(queued)["continue"] and not enabled_actions(queued)["compare"]
    no_reference = Job(id="j3", model=V2V, request={"prompt": "x"}, state=JobState.DONE, video_path=str(video))
    assert enabled_actions(no_reference)["continue"] and not enabled_actions(no_reference)["compare"]


@pytest.mark.qt_log_ignore("No RHI backend", "pa_context_connect", "No audio device",
                           "does not support propagateSizeHints", "No HW decoder found")
def test_play_loops_the_selection(qtbot, form, long_clip) -> None:
    _, dialog = open_editor(qtbot, form, long_clip)
    dialog.start_spin.setValue(3.0)
    dialog.end_spin.setValue(5.0)
    positions: list[int] = []
    dialog.play_button.click()
    player = dialog._player
    assert player is not None
    player.positionChanged.connect(positions.append)
    # Played past the out point once and sent back to the in point: a jump backwards.
    def looped() -> list[int]:
        return [b for a, b in zip(positions, positions[1:]) if a >= 4_500 and b < a - 1000]

    qtbot.waitUntil(lambda: bool(looped()), timeout=20_000)
    assert 2_900 <= looped()[0] <= 3_400 and max(positions) <= 5_400
    dialog.play_button.click()
    assert dialog.play_button.text().startswith("▶")
    dialog.close()


def test_the_crop_preview_is_decoded_as_large_as_it_is_drawn(qtbot, form, tmp_path) -> None:
    """A preview decoded small and stretched over a big dialog looks blurred: at the size the
    editor opens at on a 1600x1000 screen, a 720p clip's picture is at least as tall as where
    it is drawn."""
    clip = make_clip(tmp_path / "hd.mp4", duration=3.0, width=1280, height=720, audio=False)
    _, dialog = open_editor(qtbot, form, clip)
    dialog.resize(960, 720)
    view = dialog.crop_view
    assert view is not None
    qtbot.waitUntil(view.has_picture, timeout=20_000)
    qtbot.waitUntil(lambda: view.height() > 400, timeout=5_000)
    assert view._image is not None and view._image.height() >= view._picture_area().height()
    dialog.close()
