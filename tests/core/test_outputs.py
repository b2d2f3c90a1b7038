"""Output naming, sanitising, never overwriting, and sidecars that hold no secrets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from seedance_desktop.core.job import InputFile, Job, JobState, Transition
from seedance_desktop.core.outputs import (
    DEFAULT_TEMPLATE,
    Recipe,
    SidecarError,
    check_template,
    read_sidecar,
    render_name,
    sanitize_filename,
    slugify,
    unique_path,
    write_sidecar,
)

NOW = dt.datetime(2026, 11, 24, 9, 30, 15)


def _job() -> Job:
    return Job(
        id="0123456789abcdef",
        request={
            "prompt": 'A cat: surfing / "big" waves? <yes> | * \x07 now',
            "seed": 7,
            "ratio": "16:9",
            "resolution": "480p",
            "video_urls": ["https://files.example/u/abc.mp4?X-Amz-Signature=SIGNED", "https://cdn.example/own.mp4?token=T0K3N"],
            "reference_images": ["https://files.example/u/img.png?sig=SIGNED2"],
        },
        inputs=[
            InputFile("video_urls", 0, "/home/me/clips/holiday clip.mp4", "https://files.example/u/abc.mp4?X-Amz-Signature=SIGNED"),
            InputFile("reference_images", 0, "/home/me/pics/cat.png", "https://files.example/u/img.png?sig=SIGNED2"),
        ],
        state=JobState.DONE,
        task_id="task-42",
        cost=0.69,
        created_at=1000.0,
        submitted_at=1001.0,
        finished_at=1090.5,
        remote_video_url="https://file.modellix.ai/out.mp4?Signature=RESULTSIG",
        history=[
            Transition(1000.0, None, JobState.QUEUED, "created"),
            Transition(1090.5, JobState.DOWNLOADING, JobState.DONE, "saved from https://file.modellix.ai/out.mp4?Signature=RESULTSIG"),
        ],
    )


def test_render_default_template() -> None:
    name = render_name(DEFAULT_TEMPLATE, _job(), NOW)
    assert name == "2026-11-24_a-cat-surfing-big-waves-yes-now_7_01234567"


def test_render_all_placeholders_and_fallbacks() -> None:
    job = _job()
    name = render_name("{model} {ratio} {resolution} {time} {job}", job, NOW)
    assert name == "seedance-2-0-fast-v2v 16x9 480p 093015 01234567"
    # Unknown placeholder or malformed template: fall back to the default rather than fail.
    assert render_name("{nope}", job, NOW) == render_name(DEFAULT_TEMPLATE, job, NOW)
    assert render_name("{date", job, NOW) == render_name(DEFAULT_TEMPLATE, job, NOW)
    job.request["seed"] = -1
    job.raw_task = {"result": {"metadata": {"seed": 12345}}}
    assert render_name("{seed}", job, NOW) == "12345"
    job.raw_task = None
    assert render_name("{seed}", job, NOW) == "random"


def test_check_template_messages() -> None:
    assert check_template(DEFAULT_TEMPLATE) is None
    assert "Unknown placeholder {colour}" in (check_template("{date}_{colour}") or "")
    assert "malformed" in (check_template("{date") or "")
    assert "at least one placeholder" in (check_template("fixed") or "")


@pytest.mark.parametrize("template", ["{date:%Y-%m-%d}_{job}", "{seed:05d}", "{job!x}", "{job:d}"])
def test_a_template_settings_accepts_is_one_that_renders(template: str) -> None:
    """Issue 8 item 9: Settings accepted templates that rendering then rejected, and every
    download crashed and recovered in a loop. Validation renders; rendering never raises."""
    assert "cannot be used" in (check_template(template) or "") or "malformed" in (check_template(template) or "")
    job = Job(request={"prompt": "A cat", "seed": 7})
    assert render_name(template, job, NOW) == render_name(DEFAULT_TEMPLATE, job, NOW)


@pytest.mark.parametrize(
    "raw",
    ['a/b\\c:d*e?f"g<h>i|j', "con", "NUL.txt", "  trailing dots... ", "\x00\x1f\x7f", "x" * 500, "日本語 ok"],
)
def test_sanitize_is_valid_everywhere(raw: str) -> None:
    name = sanitize_filename(raw)
    assert name and len(name) <= 120
    assert not any(c in name for c in '/\\:*?"<>|')
    assert all(ord(c) >= 32 and ord(c) != 127 for c in name)
    assert not name.endswith((" ", "."))
    assert name.split(".")[0].upper() not in {"CON", "NUL"}


def test_slugify() -> None:
    assert slugify("Ünïcödé   Prompt!! with words " * 5, max_len=20) == "unicode-prompt-with"
    assert slugify("!!!") == "untitled"
    assert slugify("a" * 80, max_len=10) == "a" * 10


def test_unique_path_never_overwrites(tmp_path: Path) -> None:
    first = unique_path(tmp_path, "clip", ".mp4")
    assert first == tmp_path / "clip.mp4"
    first.write_bytes(b"1")
    second = unique_path(tmp_path, "clip", ".mp4")
    assert second == tmp_path / "clip (2).mp4"
    second.write_bytes(b"2")
    (tmp_path / "clip (3).json").write_text("{}")  # a stray sidecar also blocks the name
    assert unique_path(tmp_path, "clip", ".mp4") == tmp_path / "clip (4).mp4"
    assert unique_path(tmp_path, "a/b", ".mp4").parent == tmp_path


def test_sidecar_round_trip_without_secrets(tmp_path: Path) -> None:
    job = _job()
    video = tmp_path / "out.mp4"
    video.write_bytes(b"video")
    path = write_sidecar(video, job)
    assert path == tmp_path / "out.json"
    text = path.read_text(encoding="utf-8")
    for secret in ("SIGNED", "T0K3N", "RESULTSIG", "Signature"):
        assert secret not in text, secret
    data = json.loads(text)

    def strings(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    urls = [s for s in strings(data) if "://" in s]
    assert urls and not any("?" in u for u in urls)
    assert data["task_id"] == "task-42" and data["seed"] == 7 and data["cost"] == 0.69
    assert data["timings"]["seconds_from_submit"] == 89.5
    assert data["video_file"] == "out.mp4"
    assert [h["state"] for h in data["history"]] == ["queued", "done"]
    assert sorted(tmp_path.iterdir()) == sorted([video, path])  # no temp file left behind

    recipe = read_sidecar(video)  # from the video path too
    assert isinstance(recipe, Recipe)
    assert recipe.model == job.model
    assert recipe.request["prompt"] == job.prompt
    # Uploaded inputs come back as the local files; a user's own URL stays, minus its query.
    assert recipe.request["video_urls"] == ["/home/me/clips/holiday clip.mp4", "https://cdn.example/own.mp4"]
    assert recipe.request["reference_images"] == ["/home/me/pics/cat.png"]
    assert recipe.inputs == [
        InputFile("video_urls", 0, "/home/me/clips/holiday clip.mp4"),
        InputFile("reference_images", 0, "/home/me/pics/cat.png"),
    ]


def test_single_valued_field_input(tmp_path: Path) -> None:
    job = Job(request={"prompt": "p", "first_frame_image": "data:image/png;base64,AAAA"},
              inputs=[InputFile("first_frame_image", 0, "/x/first.png", "https://f/first.png?s=1")])
    recipe = read_sidecar(write_sidecar(tmp_path / "v.mp4", job))
    assert recipe.request["first_frame_image"] == "/x/first.png"


def test_read_sidecar_errors(tmp_path: Path) -> None:
    with pytest.raises(SidecarError) as info:
        read_sidecar(tmp_path / "missing.mp4")
    assert "no recipe file" in info.value.user_message
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SidecarError):
        read_sidecar(bad)
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(SidecarError) as info:
        read_sidecar(other)
    assert "does not contain" in info.value.user_message
