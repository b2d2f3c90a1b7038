"""Request-body validation as the real service does it (SPEC section 2).

Deliberately written from the SPEC, independently of ``seedance_desktop.api``: a property test
checks the client's validator against this server, and that test is only worth something if the
two are separate implementations. Errors read like the real envelope's message:
``Invalid parameters: parameter 'duration' must be an integer between 4 and 15``; the first problem
found wins, in field order, as a schema validator would report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
MAX_SEED = 4_294_967_295
MAX_REFERENCE_FILES = 12


@dataclass(frozen=True)
class SimModel:
    slug: str              # "bytedance/seedance-2.0-fast-v2v"
    model_type: str        # for GET /models
    description: str
    resolutions: tuple[str, ...]
    takes_video: bool      # video_urls allowed and required
    needs_image: bool      # at least one image field required (image-to-video)

    @property
    def short_slug(self) -> str:
        return self.slug.split("/", 1)[1]


SIM_MODELS: dict[str, SimModel] = {
    m.short_slug: m
    for m in (
        SimModel("bytedance/seedance-2.0-fast-v2v", "video-to-video",
                 "Seedance 2.0 Fast: edit or restyle a reference video (480p/720p).",
                 ("480p", "720p"), takes_video=True, needs_image=False),
        SimModel("bytedance/seedance-2.0-v2v", "video-to-video",
                 "Seedance 2.0: edit or restyle a reference video (up to 1080p).",
                 ("480p", "720p", "1080p"), takes_video=True, needs_image=False),
        SimModel("bytedance/seedance-2.0-fast-i2v", "image-to-video",
                 "Seedance 2.0 Fast: animate an image (480p/720p).",
                 ("480p", "720p"), takes_video=False, needs_image=True),
    )
}

_BOOL_FIELDS = ("camera_fixed", "generate_audio", "return_last_frame")
# name -> (minimum, maximum)
_INT_FIELDS = {
    "duration": (4, 15),
    "seed": (-1, MAX_SEED),
    "execution_expires_after": (3_600, 259_200),
}
_IMAGE_FIELDS = ("first_frame_image", "last_frame_image", "reference_images")


class BodyError(Exception):
    """One invalid parameter; ``str()`` is the envelope message."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"Invalid parameters: parameter '{field}' {detail}")


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.strip() != "" and value[:8].lower().startswith(("http://", "https://"))


def _is_image_ref(value: object) -> bool:
    """An image may be a URL or a Base64 data URI (``data:image/png;base64,...``)."""
    if _is_url(value):
        return True
    if not isinstance(value, str) or not value.startswith("data:image/"):
        return False
    head, sep, payload = value.partition(",")
    return bool(sep) and head.endswith(";base64") and payload != ""


def _check_list(body: dict[str, Any], name: str, lo: int, hi: int, item_ok: Any, what: str) -> int:
    if name not in body:
        return 0
    value = body[name]
    if not isinstance(value, list):
        raise BodyError(name, f"must be an array of {what}")
    if not lo <= len(value) <= hi:
        raise BodyError(name, f"must contain between {lo} and {hi} items")
    for index, item in enumerate(value):
        if not item_ok(item):
            raise BodyError(name, f"item {index + 1} must be {what}")
    return len(value)


def validate_body(model: SimModel, body: object) -> dict[str, Any]:
    """Check ``body`` and return it with defaults filled in; raise :class:`BodyError`."""
    if not isinstance(body, dict):
        raise BodyError("body", "must be a JSON object")
    body = {k: v for k, v in body.items() if v is not None}  # an explicit null means "not given"
    allowed = {"prompt", "ratio", "resolution", "audio_urls", *_BOOL_FIELDS, *_INT_FIELDS, *_IMAGE_FIELDS}
    if model.takes_video:
        allowed.add("video_urls")
    for name in body:
        if name not in allowed:
            raise BodyError(name, f"is not supported by {model.slug}")

    prompt = body.get("prompt")
    if prompt is None:
        raise BodyError("prompt", "is required")
    if not isinstance(prompt, str):
        raise BodyError("prompt", "must be a string")
    if not 1 <= len(prompt) <= 2000:
        raise BodyError("prompt", "must be between 1 and 2000 characters")

    count = 0
    if model.takes_video:
        if "video_urls" not in body:
            raise BodyError("video_urls", "is required")
        count += _check_list(body, "video_urls", 1, 3, _is_url, "an http(s) URL (no Base64 for video)")
    for name in ("first_frame_image", "last_frame_image"):
        if name in body:
            if not _is_image_ref(body[name]):
                raise BodyError(name, "must be an http(s) URL or a data:image/...;base64 URI")
            count += 1
    count += _check_list(body, "reference_images", 1, 9, _is_image_ref,
                         "an http(s) URL or a data:image/...;base64 URI")
    count += _check_list(body, "audio_urls", 1, 3, _is_url, "an http(s) URL")

    if "ratio" in body and body["ratio"] not in RATIOS:
        raise BodyError("ratio", f"must be one of {', '.join(RATIOS)}")
    if "resolution" in body and body["resolution"] not in model.resolutions:
        raise BodyError("resolution", f"must be one of {', '.join(model.resolutions)}")
    for name, (lo, hi) in _INT_FIELDS.items():
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise BodyError(name, f"must be an integer between {lo} and {hi}")
    for name in _BOOL_FIELDS:
        if name in body and not isinstance(body[name], bool):
            raise BodyError(name, "must be a boolean")

    if "reference_images" in body:
        for frame in ("first_frame_image", "last_frame_image"):
            if frame in body:
                raise BodyError("reference_images", f"cannot be used together with '{frame}'")
    if model.needs_image and not any(name in body for name in _IMAGE_FIELDS):
        raise BodyError("first_frame_image",
                        "is required: give first_frame_image, last_frame_image or reference_images")
    if count > MAX_REFERENCE_FILES:
        raise BodyError("reference_images", f"too many reference files ({count}); at most {MAX_REFERENCE_FILES} in all")

    full: dict[str, Any] = {
        "ratio": "1:1", "resolution": "720p", "duration": 5, "seed": -1, "camera_fixed": False,
        "generate_audio": True, "execution_expires_after": 172_800, "return_last_frame": False,
    }
    full.update(body)
    return full
