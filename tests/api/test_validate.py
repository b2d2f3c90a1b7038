"""Every rule of every model spec, valid and invalid, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from seedance_desktop.api.errors import ValidationError
from seedance_desktop.api.spec import MODELS, MediaKind, get_model
from seedance_desktop.api.validate import build_body, placeholder_report, validate_request

V2V_FAST = get_model("bytedance/seedance-2.0-fast-v2v")
V2V = get_model("bytedance/seedance-2.0-v2v")
I2V_FAST = get_model("bytedance/seedance-2.0-fast-i2v")

VIDEO = "https://files.example.com/in/clip.mp4"
IMAGE = "https://files.example.com/in/frame.png"
AUDIO = "https://files.example.com/in/sound.mp3"
DATA_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def minimal(spec_slug: str) -> dict[str, Any]:
    if spec_slug.endswith("i2v"):
        return {"prompt": "Animate [Image 1]", "first_frame_image": IMAGE}
    return {"prompt": "Restyle [Video 1] as watercolour", "video_urls": [VIDEO]}


def fields_of(errors: list) -> list[str]:
    return [e.field for e in errors]


@pytest.mark.parametrize("slug", sorted(MODELS))
def test_minimal_request_is_valid_for_every_model(slug: str) -> None:
    assert validate_request(MODELS[slug], minimal(slug)) == []


@pytest.mark.parametrize("slug", sorted(MODELS))
def test_full_request_with_every_field_is_valid(slug: str) -> None:
    spec = MODELS[slug]
    values = {**minimal(slug), "audio_urls": [AUDIO], "ratio": "16:9", "resolution": "480p", "duration": 15,
              "seed": 4294967295, "camera_fixed": True, "generate_audio": False,
              "execution_expires_after": 3600, "return_last_frame": True, "last_frame_image": DATA_IMAGE}
    assert validate_request(spec, values) == []
    assert build_body(spec, values) == values


# (overrides, expected field, a word the message must contain)
V2V_INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"prompt": None}, "prompt", "prompt"),
    ({"prompt": ""}, "prompt", "1 to 2000"),
    ({"prompt": "   "}, "prompt", "prompt"),
    ({"prompt": "x" * 2001}, "prompt", "2000"),
    ({"prompt": 5}, "prompt", "text"),
    ({"video_urls": None}, "video_urls", "Add at least one reference video (up to 3)"),
    ({"video_urls": []}, "video_urls", "Add at least one reference video (up to 3)"),
    ({"video_urls": [VIDEO] * 4}, "video_urls", "at most 3"),
    ({"video_urls": VIDEO}, "video_urls", "list"),
    ({"video_urls": ["ftp://host/a.mp4"]}, "video_urls", "http(s)"),
    ({"video_urls": ["/home/me/clip.mp4"]}, "video_urls", "http(s)"),
    ({"video_urls": [""]}, "video_urls", "empty"),
    ({"video_urls": ["data:video/mp4;base64,AAAA"]}, "video_urls", "upload"),
    ({"video_urls": [DATA_IMAGE]}, "video_urls", "upload"),
    ({"first_frame_image": "file:///tmp/a.png"}, "first_frame_image", "data:image"),
    ({"first_frame_image": "data:image/png;base64,"}, "first_frame_image", "data:image"),
    ({"first_frame_image": "data:text/plain;base64,AAAA"}, "first_frame_image", "data:image"),
    ({"last_frame_image": 7}, "last_frame_image", "text"),
    ({"reference_images": [IMAGE] * 10}, "reference_images", "at most 9"),
    ({"reference_images": [IMAGE, "nope"]}, "reference_images", "Image 2"),
    ({"audio_urls": [AUDIO] * 4}, "audio_urls", "at most 3"),
    ({"audio_urls": [DATA_IMAGE]}, "audio_urls", "http(s)"),
    ({"ratio": "2:1"}, "ratio", "16:9"),
    ({"ratio": 1}, "ratio", "one of"),
    ({"resolution": "1080p"}, "resolution", "not available"),
    ({"resolution": "4k"}, "resolution", "480p"),
    ({"duration": 3}, "duration", "Duration must be a whole number of seconds from 4 to 15"),
    ({"duration": 16}, "duration", "Duration must be a whole number of seconds from 4 to 15"),
    ({"duration": 5.0}, "duration", "whole number"),
    ({"duration": "5"}, "duration", "whole number"),
    ({"duration": True}, "duration", "whole number"),
    ({"seed": -2}, "seed", "-1 (random)"),
    ({"seed": 4294967296}, "seed", "4294967295"),
    ({"seed": False}, "seed", "whole number"),
    ({"camera_fixed": 1}, "camera_fixed", "true or false"),
    ({"generate_audio": "yes"}, "generate_audio", "true or false"),
    ({"return_last_frame": 0}, "return_last_frame", "true or false"),
    ({"execution_expires_after": 3599}, "execution_expires_after", "1 hour"),
    ({"execution_expires_after": 259201}, "execution_expires_after", "72 hours"),
    ({"first_frame_image": IMAGE, "reference_images": [IMAGE]}, "reference_images",
     "Use either first/last frame images or reference images, not both"),
    ({"last_frame_image": IMAGE, "reference_images": [IMAGE]}, "reference_images", "not both"),
    ({"webhook": "https://x"}, "webhook", "not a setting"),
    ({"video_urls": [VIDEO] * 3, "reference_images": [IMAGE] * 9, "audio_urls": [AUDIO] * 3},
     "reference_images", "12 reference files"),
]


@pytest.mark.parametrize("slug", ["bytedance/seedance-2.0-fast-v2v", "bytedance/seedance-2.0-v2v"])
@pytest.mark.parametrize(("overrides", "field", "words"), V2V_INVALID)
def test_v2v_rules_reject_with_field_and_words(slug: str, overrides: dict, field: str, words: str) -> None:
    if slug == "bytedance/seedance-2.0-v2v" and overrides == {"resolution": "1080p"}:
        assert validate_request(MODELS[slug], {**minimal(slug), **overrides}) == []
        return
    errors = validate_request(MODELS[slug], {**minimal(slug), **overrides})
    assert field in fields_of(errors), errors
    message = next(e.message for e in errors if e.field == field)
    assert words.lower() in message.lower()
    with pytest.raises(ValidationError) as caught:
        build_body(MODELS[slug], {**minimal(slug), **overrides})
    assert field in fields_of(caught.value.field_errors)


@pytest.mark.parametrize(("field", "value"), [
    ("duration", 4), ("duration", 15), ("seed", -1), ("seed", 0), ("seed", 4294967295),
    ("execution_expires_after", 3600), ("execution_expires_after", 259200),
    ("prompt", "x"), ("prompt", "x" * 2000), ("video_urls", [VIDEO] * 3),
    ("reference_images", [IMAGE] * 9), ("reference_images", [DATA_IMAGE]), ("audio_urls", [AUDIO] * 3),
    ("first_frame_image", DATA_IMAGE), ("last_frame_image", "http://plain.example/x.png"),
    *[("ratio", r) for r in ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")],
    ("resolution", "480p"), ("resolution", "720p"),
])
def test_boundaries_accepted(field: str, value: Any) -> None:
    assert validate_request(V2V_FAST, {**minimal(V2V_FAST.slug), field: value}) == []


def test_1080p_only_for_full_model() -> None:
    assert validate_request(V2V, {**minimal(V2V.slug), "resolution": "1080p"}) == []
    assert fields_of(validate_request(V2V_FAST, {**minimal(V2V_FAST.slug), "resolution": "1080p"})) == ["resolution"]


def test_i2v_needs_an_image_and_takes_no_video() -> None:
    errors = validate_request(I2V_FAST, {"prompt": "hi"})
    assert fields_of(errors) == ["first_frame_image"]
    assert "image" in errors[0].message
    for key, value in (("last_frame_image", IMAGE), ("reference_images", [DATA_IMAGE])):
        assert validate_request(I2V_FAST, {"prompt": "hi", key: value}) == []
    errors = validate_request(I2V_FAST, {"prompt": "hi", "first_frame_image": IMAGE, "video_urls": [VIDEO]})
    assert fields_of(errors) == ["video_urls"]
    assert validate_request(I2V_FAST, {"prompt": "hi", "resolution": "1080p", "first_frame_image": IMAGE})[0].field == "resolution"


def test_all_problems_reported_at_once() -> None:
    errors = validate_request(V2V_FAST, {"prompt": "", "video_urls": [], "duration": 2, "seed": "x", "ratio": "5:4"})
    assert set(fields_of(errors)) == {"prompt", "video_urls", "duration", "seed", "ratio"}
    assert all(e.message and e.message[0].isupper() for e in errors)


def test_build_body_drops_unset_values_and_keeps_exact_values() -> None:
    values = {"prompt": "p", "video_urls": (VIDEO,), "audio_urls": [], "first_frame_image": "", "seed": None,
              "duration": 4, "camera_fixed": False}
    body = build_body(V2V_FAST, values)
    assert body == {"prompt": "p", "video_urls": [VIDEO], "duration": 4, "camera_fixed": False}
    assert isinstance(body["video_urls"], list)


def test_build_body_error_has_friendly_message() -> None:
    with pytest.raises(ValidationError) as caught:
        build_body(V2V_FAST, {"prompt": "p", "video_urls": [VIDEO], "duration": 99})
    assert "Duration must be a whole number of seconds from 4 to 15" in caught.value.user_message
    assert caught.value.status is None


@pytest.mark.parametrize(("prompt", "counts", "missing", "unreferenced"), [
    ("[Video 1] in the style of [Image 1]", {MediaKind.VIDEO: 1, MediaKind.IMAGE: 1}, [], []),
    ("[Video 2] only", {MediaKind.VIDEO: 1}, ["[Video 2]"], ["[Video 1]"]),
    ("nothing", {MediaKind.VIDEO: 2, MediaKind.AUDIO: 1}, [], ["[Video 1]", "[Video 2]", "[Audio 1]"]),
    ("[video 1] [VIDEO 1] [ Audio 1 ]", {MediaKind.VIDEO: 1}, ["[Audio 1]"], []),
    ("[Image 0] and [Image 3]", {MediaKind.IMAGE: 3}, ["[Image 0]"], ["[Image 1]", "[Image 2]"]),
    ("[Video 1][Video 2][Video 3]", {MediaKind.VIDEO: 3}, [], []),
    ("", {}, [], []),
])
def test_placeholder_report(prompt: str, counts: dict, missing: list, unreferenced: list) -> None:
    report = placeholder_report(prompt, counts)
    assert report.missing == missing
    assert report.unreferenced == unreferenced
    assert report.ok is (not missing)


def test_item_problems_are_grouped_into_one_line() -> None:
    errors = validate_request(V2V_FAST, {"prompt": "p", "video_urls": [VIDEO, "", ""], "reference_images": ["x"] * 3})
    assert [e.message for e in errors] == [
        "Reference videos 2 and 3 are empty",
        "Reference images 1, 2 and 3 must be http(s) links or data:image/...;base64 images",
    ]


def test_unset_unknown_fields_are_ignored_and_not_sent() -> None:
    values = {"prompt": "p", "first_frame_image": IMAGE, "video_urls": None, "webhook": ""}
    assert validate_request(I2V_FAST, values) == []
    assert build_body(I2V_FAST, values) == {"prompt": "p", "first_frame_image": IMAGE}
