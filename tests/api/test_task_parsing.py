"""Task answers are parsed tolerantly (SPEC sections 4 and 9)."""

from __future__ import annotations

from typing import Any

import pytest

from seedance_desktop.api.tasks import TaskStatus, normalise_status, parse_task


def _envelope(data: Any, message: str = "success") -> dict[str, Any]:
    return {"code": 0, "message": message, "data": data}


DOCUMENTED = _envelope(
    {
        "status": "success",
        "task_id": "task-abc123",
        "model_id": "bytedance/seedance-2.0-fast-v2v",
        "duration": 83500,
        "result": {
            "resources": [
                {"url": "https://file.example/last.png", "type": "image", "format": "png"},
                {"url": "https://file.example/out.mp4?sig=1", "type": "video", "width": 1280,
                 "height": 720, "format": "mp4", "role": "primary"},
            ],
            "metadata": {"request_id": "req-1"},
        },
        "billing": {"amount": 0.69},
        "unknown_field": {"ignored": True},
    }
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pending", TaskStatus.PENDING),
        ("queued", TaskStatus.PENDING),
        ("processing", TaskStatus.PROCESSING),
        ("running", TaskStatus.PROCESSING),
        ("success", TaskStatus.SUCCESS),
        ("succeeded", TaskStatus.SUCCESS),
        ("Completed", TaskStatus.SUCCESS),
        ("failed", TaskStatus.FAILED),
        ("error", TaskStatus.FAILED),
        ("canceled", TaskStatus.FAILED),
        ("cancelled", TaskStatus.FAILED),
        ("expired", TaskStatus.FAILED),
        ("warming-up", TaskStatus.PROCESSING),  # unknown: still running, never a crash
        (None, TaskStatus.PROCESSING),
        (42, TaskStatus.PROCESSING),
    ],
)
def test_status_aliases(raw: object, expected: TaskStatus) -> None:
    assert normalise_status(raw) is expected


def test_documented_answer_finds_outputs_by_type_not_position() -> None:
    info = parse_task(DOCUMENTED)
    assert info.status is TaskStatus.SUCCESS
    assert info.task_id == "task-abc123"
    assert info.video is not None and info.video.url.endswith("out.mp4?sig=1")
    assert (info.video.width, info.video.height) == (1280, 720)
    assert info.last_frame is not None and info.last_frame.format == "png"
    assert info.billing_amount == pytest.approx(0.69)
    assert info.processing_ms == 83500
    assert info.error_message is None
    assert info.raw is DOCUMENTED  # kept whole for diagnosis


def test_resources_at_data_level_and_missing_dimensions_are_tolerated() -> None:
    info = parse_task(_envelope({"status": "succeeded", "resources": [{"url": "https://x/y.mp4", "type": "VIDEO"}]}))
    assert info.status is TaskStatus.SUCCESS
    assert info.video is not None and info.video.width is None and info.video.format is None


def test_untyped_mp4_resource_still_counts_as_the_video() -> None:
    info = parse_task(_envelope({"status": "success", "result": {"resources": [{"url": "https://x/a", "format": "mp4"}]}}))
    assert info.video is not None and info.video.url == "https://x/a"


@pytest.mark.parametrize(
    ("data", "message", "expected_parts"),
    [
        ({"status": "failed", "error": {"code": "OutputVideoSensitiveContentDetected", "message": "blocked"}},
         "success", ["blocked"]),
        ({"status": "failed", "message": "ran out of GPUs"}, "success", ["ran out of GPUs"]),
        ({"status": "failed", "result": "timeout upstream"}, "Task failed", ["timeout upstream", "Task failed"]),
        ({"status": "failed"}, "Generation failed: InternalError", ["Generation failed: InternalError"]),
    ],
)
def test_failure_reason_is_collected_from_every_known_place(
    data: dict[str, Any], message: str, expected_parts: list[str]
) -> None:
    info = parse_task(_envelope(data, message=message))
    assert info.status is TaskStatus.FAILED
    assert info.error_message is not None
    for part in expected_parts:
        assert part in info.error_message


@pytest.mark.parametrize(
    "envelope",
    [{}, {"data": None}, {"data": []}, {"data": {"result": "x", "billing": "free"}},
     {"data": {"result": {"resources": [None, 3, {"type": "video"}, {"url": ""}]}}}],
)
def test_odd_shapes_never_raise(envelope: dict[str, Any]) -> None:
    info = parse_task(envelope, task_id="task-fallback")
    assert info.task_id == "task-fallback"
    assert info.video is None
    assert info.status is TaskStatus.PROCESSING
