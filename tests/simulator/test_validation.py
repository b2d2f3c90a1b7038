"""The server-side body rules of SPEC section 2, and the real error envelope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedance_desktop.simulator.validation import SIM_MODELS, BodyError, validate_body

pytestmark = pytest.mark.timeout(60)

FAST = SIM_MODELS["seedance-2.0-fast-v2v"]
FULL = SIM_MODELS["seedance-2.0-v2v"]
I2V = SIM_MODELS["seedance-2.0-fast-i2v"]
URL = "https://cdn.example.com/a.mp4"
IMG = "https://cdn.example.com/a.png"
DATA = "data:image/png;base64,iVBORw0KGgo="


def ok(**fields: Any) -> dict[str, Any]:
    return {"prompt": "p", "video_urls": [URL], **fields}


def test_defaults_are_filled_in() -> None:
    body = validate_body(FAST, ok())
    assert body == {"prompt": "p", "video_urls": [URL], "ratio": "1:1", "resolution": "720p", "duration": 5,
                    "seed": -1, "camera_fixed": False, "generate_audio": True,
                    "execution_expires_after": 172_800, "return_last_frame": False}


@pytest.mark.parametrize(("model", "body", "field"), [
    (FAST, [], "body"),
    (FAST, {"video_urls": [URL]}, "prompt"),
    (FAST, ok(prompt=""), "prompt"),
    (FAST, ok(prompt="x" * 2001), "prompt"),
    (FAST, ok(prompt=5), "prompt"),
    (FAST, {"prompt": "p"}, "video_urls"),
    (FAST, ok(video_urls=[]), "video_urls"),
    (FAST, ok(video_urls=[URL] * 4), "video_urls"),
    (FAST, ok(video_urls=URL), "video_urls"),
    (FAST, ok(video_urls=[""]), "video_urls"),
    (FAST, ok(video_urls=["data:video/mp4;base64,AAAA"]), "video_urls"),
    (FAST, ok(video_urls=["ftp://x/a.mp4"]), "video_urls"),
    (FAST, ok(first_frame_image="not a url"), "first_frame_image"),
    (FAST, ok(last_frame_image="data:image/png;base64,"), "last_frame_image"),
    (FAST, ok(reference_images=[IMG] * 10), "reference_images"),
    (FAST, ok(reference_images=[]), "reference_images"),
    (FAST, ok(audio_urls=[DATA]), "audio_urls"),
    (FAST, ok(audio_urls=[URL] * 4), "audio_urls"),
    (FAST, ok(ratio="2:1"), "ratio"),
    (FAST, ok(resolution="1080p"), "resolution"),
    (FULL, ok(resolution="4k"), "resolution"),
    (FAST, ok(duration=3), "duration"),
    (FAST, ok(duration=16), "duration"),
    (FAST, ok(duration=5.0), "duration"),
    (FAST, ok(duration="5"), "duration"),
    (FAST, ok(duration=True), "duration"),
    (FAST, ok(seed=-2), "seed"),
    (FAST, ok(seed=4_294_967_296), "seed"),
    (FAST, ok(execution_expires_after=3599), "execution_expires_after"),
    (FAST, ok(execution_expires_after=259_201), "execution_expires_after"),
    (FAST, ok(camera_fixed=1), "camera_fixed"),
    (FAST, ok(generate_audio="true"), "generate_audio"),
    (FAST, ok(return_last_frame=0), "return_last_frame"),
    (FAST, ok(reference_images=[IMG], first_frame_image=IMG), "reference_images"),
    (FAST, ok(reference_images=[IMG], last_frame_image=DATA), "reference_images"),
    (FAST, ok(video_urls=[URL] * 3, reference_images=[IMG] * 9, audio_urls=[URL] * 3), "reference_images"),
    (FAST, ok(colour="red"), "colour"),
    (I2V, {"prompt": "p"}, "first_frame_image"),
    (I2V, {"prompt": "p", "video_urls": [URL], "first_frame_image": IMG}, "video_urls"),
])
def test_invalid_bodies_name_the_field(model: Any, body: Any, field: str) -> None:
    with pytest.raises(BodyError) as caught:
        validate_body(model, body)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"Invalid parameters: parameter '{field}' ")


@pytest.mark.parametrize(("model", "body"), [
    (FAST, ok(prompt="x" * 2000, duration=4, seed=0, ratio="21:9", resolution="480p")),
    (FAST, ok(duration=15, seed=4_294_967_295, execution_expires_after=3600)),
    (FAST, ok(video_urls=[URL] * 3, first_frame_image=IMG, last_frame_image=DATA, audio_urls=[URL] * 3)),
    (FAST, ok(video_urls=[URL] * 3, reference_images=[IMG, DATA] * 3, audio_urls=[URL] * 3)),
    (FAST, ok(video_urls=["HTTP://Example.com/A.mp4"], seed=None)),
    (FULL, ok(resolution="1080p", camera_fixed=True, generate_audio=False, return_last_frame=True)),
    (I2V, {"prompt": "p", "last_frame_image": DATA}),
    (I2V, {"prompt": "p", "reference_images": [IMG] * 9}),
])
def test_valid_bodies_pass(model: Any, body: dict[str, Any]) -> None:
    validate_body(model, body)


def test_server_answers_with_the_real_error_envelope(api: httpx.Client) -> None:
    response = api.post("/api/v1/bytedance/seedance-2.0-fast-v2v/async", json=ok(duration=20))
    assert response.status_code == 400
    assert response.json() == {
        "code": 400, "message": "Invalid parameters: parameter 'duration' must be an integer between 4 and 15",
    }
    broken = api.post("/api/v1/bytedance/seedance-2.0-fast-v2v", content=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["message"].startswith("Invalid parameters")
    missing = api.post("/api/v1/bytedance/seedance-2.0-fast-i2v/async", json={"prompt": "p"})
    assert missing.status_code == 400 and "'first_frame_image'" in missing.json()["message"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
_FIELDS = ["prompt", "video_urls", "first_frame_image", "last_frame_image", "reference_images", "audio_urls",
           "ratio", "resolution", "duration", "seed", "camera_fixed", "generate_audio",
           "execution_expires_after", "return_last_frame"]


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(list(SIM_MODELS.values())),
       body=st.dictionaries(st.sampled_from(_FIELDS) | st.text(max_size=6), _json, max_size=8) | _json)
def test_any_json_is_either_accepted_or_refused_naming_a_field(model: Any, body: Any) -> None:
    """Whatever arrives, the answer is a clean 400 naming one field, never a crash (a 500)."""
    try:
        full = validate_body(model, body)
    except BodyError as exc:
        # The field is a known one (e.g. a missing "prompt"), an unknown key that was sent, or
        # the body itself when it is not an object.
        assert exc.field in _FIELDS or exc.field == "body" or (isinstance(body, dict) and exc.field in body)
        assert str(exc).startswith(f"Invalid parameters: parameter '{exc.field}' ")
        return
    assert set(full) >= {"prompt", "ratio", "resolution", "duration", "seed"}
