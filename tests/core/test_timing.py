"""Time left for local steps and the usual duration of the server's part (core.timing)."""

from __future__ import annotations

import pytest

from seedance_desktop.core.job import Job, JobState
from seedance_desktop.core.timing import remaining_seconds, server_time


def test_time_left_is_the_rate_since_the_step_was_first_seen() -> None:
    assert remaining_seconds(100.0, 0.0, 110.0, 0.5) == pytest.approx(10.0)
    # A resumed download that started at 60 %: the rate counts only what this run did.
    assert remaining_seconds(100.0, 0.6, 110.0, 0.8) == pytest.approx(10.0)
    assert remaining_seconds(100.0, 0.0, 100.5, 0.5) is None   # too early to say
    assert remaining_seconds(100.0, 0.5, 120.0, 0.5) is None   # no progress since
    assert remaining_seconds(100.0, 0.0, 120.0, 1.0) is None   # finished


def test_server_time_against_the_usual_window_scaled_for_a_faster_server() -> None:
    job = Job(request={"duration": 5, "resolution": "720p"}, state=JobState.PROCESSING, submitted_at=1000.0)
    usual = server_time(job, 1042.0)
    assert usual is not None and (usual.elapsed, usual.usual_from, usual.usual_to) == (42.0, 30.0, 120.0)
    assert not usual.overdue
    late = server_time(job, 1200.0)
    assert late is not None and late.overdue
    fast = server_time(job, 1001.0, time_scale=60.0)
    assert fast is not None and fast.usual_to == pytest.approx(2.0)
    assert server_time(Job(state=JobState.DOWNLOADING, submitted_at=1.0), 5.0) is None
