"""The request as sent: local inputs replaced by their uploaded URLs, in the spec's shape."""

from __future__ import annotations

import pytest

from seedance_desktop.core.job import InputFile, Job
from seedance_desktop.core.engine.runner import request_with_urls


def _uploaded(field: str, index: int, url: str) -> InputFile:
    return InputFile(field=field, index=index, local_path=f"/tmp/{field}{index}", uploaded_url=url)


def test_a_list_field_missing_from_the_request_is_sent_as_a_list() -> None:
    job = Job(request={"prompt": "p"}, inputs=[_uploaded("video_urls", 0, "https://h/v0.mp4")])
    assert request_with_urls(job)["video_urls"] == ["https://h/v0.mp4"]


def test_local_slots_are_filled_in_place_and_urls_kept() -> None:
    job = Job(
        request={"prompt": "p", "video_urls": ["https://given/a.mp4", None]},
        inputs=[_uploaded("video_urls", 1, "https://h/b.mp4")],
    )
    assert request_with_urls(job)["video_urls"] == ["https://given/a.mp4", "https://h/b.mp4"]


def test_a_single_valued_field_is_sent_as_a_string() -> None:
    job = Job(request={"prompt": "p", "video_urls": ["https://h/a.mp4"]},
              inputs=[_uploaded("first_frame_image", 0, "https://h/f.png")])
    assert request_with_urls(job)["first_frame_image"] == "https://h/f.png"


def test_an_input_not_uploaded_yet_is_refused() -> None:
    job = Job(request={"prompt": "p"}, inputs=[InputFile("video_urls", 0, "/tmp/x.mp4")])
    with pytest.raises(ValueError):
        request_with_urls(job)
