"""One function says whether a recipe is already queued or done (core/duplicates.py): the
window confirms such a submit, and the command line can ask the same."""

from __future__ import annotations

from pathlib import Path

from seedance_desktop.core.duplicates import canonical_body, identical_jobs, repeat_warning
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.store import JobStore

V2V = "bytedance/seedance-2.0-fast-v2v"
URL = "https://example.com/in.mp4"


def test_defaults_written_out_or_left_to_the_server_are_the_same_recipe(tmp_path: Path) -> None:
    bare = {"prompt": "p", "video_urls": [URL], "seed": 7}
    full = {**bare, "duration": 5, "resolution": "720p", "ratio": "1:1", "camera_fixed": False}
    assert canonical_body(V2V, bare, []) == canonical_body(V2V, full, [])
    assert canonical_body(V2V, bare, []) != canonical_body(V2V, {**bare, "duration": 6}, [])
    assert canonical_body(V2V, bare, []) != canonical_body("bytedance/seedance-2.0-v2v", bare, [])


def test_local_files_count_by_their_slot_and_path(tmp_path: Path) -> None:
    clip = str(tmp_path / "a.mp4")
    one = canonical_body(V2V, {"prompt": "p", "video_urls": [URL, None], "seed": 1}, [InputFile("video_urls", 1, clip)])
    swapped = canonical_body(V2V, {"prompt": "p", "video_urls": [None, URL], "seed": 1}, [InputFile("video_urls", 0, clip)])
    other = canonical_body(V2V, {"prompt": "p", "video_urls": [URL, None], "seed": 1},
                           [InputFile("video_urls", 1, str(tmp_path / "b.mp4"))])
    assert len({one, swapped, other}) == 3


def test_only_queued_running_and_done_jobs_with_a_fixed_seed_are_repeats(tmp_path: Path) -> None:
    request = {"prompt": "p", "video_urls": [URL], "seed": 42, "duration": 5}
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        done = store.add(Job(model=V2V, request=dict(request)))
        store.transition(done.id, JobState.SUBMITTING)
        store.transition(done.id, JobState.SUBMITTED, task_id="t1")
        store.transition(done.id, JobState.DOWNLOADING)
        store.transition(done.id, JobState.DONE)
        failed = store.add(Job(model=V2V, request=dict(request)))
        store.transition(failed.id, JobState.FAILED, "bad")
        store.add(Job(model=V2V, request={**request, "seed": 43}))
        found = identical_jobs(store, V2V, {k: v for k, v in request.items() if k != "duration"}, [])
        assert [j.id for j in found] == [done.id]
        assert identical_jobs(store, V2V, {**request, "seed": -1}, []) == []  # random: a new video
        store.add(Job(model=V2V, request={**request, "seed": -1}))
        assert identical_jobs(store, V2V, {**request, "seed": -1}, []) == []
        warning = repeat_warning(found)
    assert "seed 42 was already made" in warning and done.id[:8] in warning and "pays" in warning
    assert repeat_warning([]) == ""
