"""The upload cache's rules (keyed by the bytes, signed URLs never stored, expiry, quota share)
and the recipe's edit (selection, framing) surviving the store, duplicates and sidecars."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from seedance_desktop.api.upload import UploadedFile
from seedance_desktop.core.engine.actions import fresh_inputs
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.outputs import read_sidecar, write_sidecar
from seedance_desktop.core.store import JobStore
from seedance_desktop.core.upload_cache import MIN_REMAINING, UPLOAD_LIFETIME, UploadCache, sha256_file

SIGNED = "https://file.example/u/clip.mp4?X-Signature=s3cr3t&Expires=99"
PLAIN = "https://file.example/u/other.mp4"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_signed_url_is_reused_in_memory_but_never_stored_and_is_uploaded_again_after_restart(tmp_path: Path) -> None:
    clock = Clock()
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        cache = UploadCache(store, clock=clock)
        cache.put("a" * 64, UploadedFile("f1", SIGNED, 10, "clip.mp4"), 10)
        cache.put("b" * 64, UploadedFile("f2", PLAIN, 10, "other.mp4"), 10)
        hit = cache.get("a" * 64)
        assert hit is not None and hit.url == SIGNED and hit.file_id == "f1"
        restarted = UploadCache(store, clock=clock)
        assert restarted.get("a" * 64) is None  # its secret part lived in the old process only
        again = restarted.get("b" * 64)
        assert again is not None and again.url == PLAIN
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("jobs.sqlite3*"))
    assert b"s3cr3t" not in raw
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
        urls = sorted(row[0] for row in db.execute("SELECT url FROM uploads"))
    assert urls == ["https://file.example/u/clip.mp4?\u2026", PLAIN]


def test_an_entry_is_not_used_near_its_expiry_and_idle_files_beyond_the_share_are_given_back() -> None:
    clock = Clock()
    cache = UploadCache(None, clock=clock, keep=2)
    cache.put("a" * 64, UploadedFile("f1", PLAIN + "1", 1, "1"), 1)
    clock.now += UPLOAD_LIFETIME - MIN_REMAINING + 1
    assert cache.get("a" * 64) is None  # too close to the File API's ~7 days
    clock.now = 2_000_000.0
    for n in range(2, 5):
        clock.now += 1
        cache.put(str(n) * 64, UploadedFile(f"f{n}", PLAIN + str(n), 1, str(n)), 1, in_use={"f2"})
    # f1 expired (already gone from the server: not returned to delete); f2 is in use; the
    # oldest idle one beyond two kept is returned for deletion.
    assert cache.get("2" * 64) is not None and cache.get("4" * 64) is not None
    evicted = cache.evict_idle(in_use={"f4"})
    assert sorted(r.file_id or "" for r in evicted) == ["f2", "f3"]
    assert cache.get("4" * 64) is not None and cache.get("3" * 64) is None


def test_the_key_is_the_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    assert sha256_file(a) == sha256_file(b)
    b.write_bytes(b"other bytes")
    assert sha256_file(a) != sha256_file(b)


def test_the_selection_and_framing_survive_the_store_a_duplicate_and_a_sidecar(tmp_path: Path) -> None:
    edited = InputFile("video_urls", 0, "/clips/a.mp4", trim_start=10.0, trim_end=16.0, framing="crop:9:16",
                       uploaded_url="https://h/a.mp4", prepared_path="/cache/a.mp4")
    with JobStore(tmp_path / "jobs.sqlite3") as store:
        job = store.add(Job(request={"prompt": "p", "video_urls": [None]}, inputs=[edited]))
        (stored,) = store.get(job.id).inputs
    assert (stored.trim_start, stored.trim_end, stored.framing) == (10.0, 16.0, "crop:9:16")
    (copied,) = fresh_inputs([stored])
    assert (copied.trim_start, copied.trim_end, copied.framing) == (10.0, 16.0, "crop:9:16")
    assert copied.uploaded_url is None and copied.prepared_path is None  # made again from the original
    job.state = JobState.DONE
    sidecar = write_sidecar(tmp_path / "out.mp4", job)
    (restored,) = read_sidecar(sidecar).inputs
    assert (restored.trim_start, restored.trim_end, restored.framing) == (10.0, 16.0, "crop:9:16")


def test_a_429_on_upload_says_the_quota_may_be_full_and_what_to_do() -> None:
    import random

    from seedance_desktop.api.errors import RateLimitedError
    from seedance_desktop.core import policy

    decision = policy.on_upload_error(RateLimitedError("File quota exceeded"), now=0.0, failures=1,
                                      rng=random.Random(1))
    assert decision.state is JobState.QUEUED and decision.retry_at is not None and decision.rate_limited
    assert "about 10 files per team" in decision.reason
    assert "delete old files in the Modellix dashboard, or wait" in decision.reason
