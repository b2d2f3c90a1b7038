"""Model specs as data.

The request form is generated from these specs and the validator reads them, so supporting a
sibling model is one new entry in ``MODELS``. Field names are exactly the JSON body keys.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from seedance_desktop.api.defaults import DEFAULT_MODEL


class FieldKind(enum.Enum):
    TEXT = "text"              # prompt
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"          # enum of strings
    MEDIA = "media"            # one URL (or data URI when allow_base64)
    MEDIA_LIST = "media_list"  # list of URLs (or data URIs when allow_base64)


class MediaKind(enum.Enum):
    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    label: str
    required: bool = False
    default: Any = None
    minimum: int | None = None          # INT: value range; TEXT: length range
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    min_items: int = 0                  # MEDIA_LIST
    max_items: int = 0
    media: MediaKind | None = None
    allow_base64: bool = False
    advanced: bool = False              # shown in the form's "Advanced" section
    help: str = ""
    unit: str = ""                      # e.g. "s" for durations


@dataclass(frozen=True)
class ModelSpec:
    slug: str
    title: str
    #: Where a job is POSTed first: the no-suffix path the vendor's own CLI uses (SPEC 1).
    submit_path: str
    fields: tuple[FieldSpec, ...]
    #: Pairs of field groups that may not be used together (either side may be used alone).
    exclusive: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    #: At least one of these fields must be given (e.g. an image for image-to-video).
    requires_any_of: tuple[str, ...] = ()
    #: Estimated USD per second of output, by resolution. An estimate, editable in settings.
    price_per_second: dict[str, float] = field(default_factory=dict)
    #: The documented alias tried once when ``submit_path`` answers 404/405 (nothing created).
    alt_submit_path: str | None = None

    @property
    def submit_paths(self) -> tuple[str, ...]:
        """Every path this model may be submitted to, in the order to try them first."""
        return (self.submit_path,) if not self.alt_submit_path else (self.submit_path, self.alt_submit_path)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(spec.name == name for spec in self.fields)

    def defaults(self) -> dict[str, Any]:
        return {f.name: f.default for f in self.fields if f.default is not None}


RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
MAX_SEED = 4_294_967_295

_PROMPT = FieldSpec(
    "prompt", FieldKind.TEXT, "Prompt", required=True, minimum=1, maximum=2000,
    help="Describe the result. Refer to inputs as [Video 1], [Image 1], [Audio 1].",
)
_VIDEOS = FieldSpec(
    "video_urls", FieldKind.MEDIA_LIST, "Reference videos", required=True, min_items=1,
    max_items=3, media=MediaKind.VIDEO,
    help="1 to 3 MP4/MOV clips, 2-15 s each, 15 s in total.",
)
_FIRST = FieldSpec(
    "first_frame_image", FieldKind.MEDIA, "First frame", media=MediaKind.IMAGE, allow_base64=True,
    help="Image the video starts from. Not together with reference images.",
)
_LAST = FieldSpec(
    "last_frame_image", FieldKind.MEDIA, "Last frame", media=MediaKind.IMAGE, allow_base64=True,
    help="Image the video ends on. Not together with reference images.",
)
_REFS = FieldSpec(
    "reference_images", FieldKind.MEDIA_LIST, "Reference images", min_items=1, max_items=9,
    media=MediaKind.IMAGE, allow_base64=True,
    help="1 to 9 style or subject images. Not together with first/last frame.",
)
_AUDIO = FieldSpec(
    "audio_urls", FieldKind.MEDIA_LIST, "Audio", min_items=1, max_items=3, media=MediaKind.AUDIO,
    help="1 to 3 MP3/WAV files, 15 s in total.",
)
_RATIO = FieldSpec(
    "ratio", FieldKind.CHOICE, "Aspect ratio", default="1:1", choices=RATIOS,
    help="Shape of the result, width:height: 16:9 landscape, 9:16 portrait, 1:1 square.",
)
_DURATION = FieldSpec(
    "duration", FieldKind.INT, "Duration", default=5, minimum=4, maximum=15, unit="s",
    help="Length of the generated video: 4 to 15 s, whole seconds. The price is per second.",
)
_SEED = FieldSpec(
    "seed", FieldKind.INT, "Seed", default=-1, minimum=-1, maximum=MAX_SEED,
    help="-1 picks a random seed; a fixed seed makes results repeatable.",
)
_CAMERA = FieldSpec(
    "camera_fixed", FieldKind.BOOL, "Fixed camera", default=False,
    help="Keep the camera still: no pans, tilts or zooms.",
)
_AUDIO_GEN = FieldSpec(
    "generate_audio", FieldKind.BOOL, "Generate audio", default=True,
    help="Make a soundtrack along with the picture.",
)
_EXPIRY = FieldSpec(
    "execution_expires_after", FieldKind.INT, "Task expiry", default=172_800, minimum=3_600,
    maximum=259_200, unit="s", advanced=True,
    help="How long the task may stay unfinished on the server (1 to 72 hours).",
)
_RETURN_LAST = FieldSpec(
    "return_last_frame", FieldKind.BOOL, "Return last frame", default=False,
    help="Also return the last frame as an image, to start a next clip from it.",
)


def _resolution(*choices: str) -> FieldSpec:
    return FieldSpec(
        "resolution", FieldKind.CHOICE, "Resolution", default="720p", choices=choices,
        help="Height of the result in pixels; a higher resolution costs more per second.",
    )


_FRAME_VS_REFS = ((("first_frame_image", "last_frame_image"), ("reference_images",)),)
_COMMON_TAIL = (_AUDIO, _RATIO, _DURATION, _SEED, _CAMERA, _AUDIO_GEN, _RETURN_LAST, _EXPIRY)

MODELS: dict[str, ModelSpec] = {
    spec.slug: spec
    for spec in (
        ModelSpec(
            slug="bytedance/seedance-2.0-fast-v2v",
            title="Seedance 2.0 Fast · video to video",
            submit_path="/api/v1/bytedance/seedance-2.0-fast-v2v", alt_submit_path="/api/v1/bytedance/seedance-2.0-fast-v2v/async",
            fields=(_PROMPT, _VIDEOS, _FIRST, _LAST, _REFS, _resolution("480p", "720p"), *_COMMON_TAIL),
            exclusive=_FRAME_VS_REFS,
            price_per_second={"480p": 0.069, "720p": 0.138},
        ),
        ModelSpec(
            slug="bytedance/seedance-2.0-v2v",
            title="Seedance 2.0 · video to video",
            submit_path="/api/v1/bytedance/seedance-2.0-v2v", alt_submit_path="/api/v1/bytedance/seedance-2.0-v2v/async",
            fields=(_PROMPT, _VIDEOS, _FIRST, _LAST, _REFS, _resolution("480p", "720p", "1080p"), *_COMMON_TAIL),
            exclusive=_FRAME_VS_REFS,
            price_per_second={"480p": 0.10, "720p": 0.20, "1080p": 0.45},
        ),
        ModelSpec(
            slug="bytedance/seedance-2.0-fast-i2v",
            title="Seedance 2.0 Fast · image to video",
            submit_path="/api/v1/bytedance/seedance-2.0-fast-i2v", alt_submit_path="/api/v1/bytedance/seedance-2.0-fast-i2v/async",
            fields=(_PROMPT, _FIRST, _LAST, _REFS, _resolution("480p", "720p"), *_COMMON_TAIL),
            exclusive=_FRAME_VS_REFS,
            requires_any_of=("first_frame_image", "last_frame_image", "reference_images"),
            price_per_second={"480p": 0.069, "720p": 0.138},
        ),
    )
}



def get_model(slug: str) -> ModelSpec:
    try:
        return MODELS[slug]
    except KeyError:
        raise KeyError(f"unknown model {slug!r}; known: {', '.join(MODELS)}") from None


def estimate_cost(spec: ModelSpec, resolution: str, duration: int, prices: dict[str, float] | None = None) -> float | None:
    """An *estimate* of the charge (USD); the real amount comes back as ``billing.amount``."""
    table = prices if prices is not None else spec.price_per_second
    per_second = table.get(resolution)
    return None if per_second is None else round(per_second * duration, 4)
