"""The user's edit of one input: which seconds (a :class:`Selection`) and how the picture is
framed for the output ratio (a :class:`Framing`). Pure values and geometry, no decoding.

Both travel with the job's inputs as plain text/numbers (``InputFile.trim_start``,
``trim_end``, ``framing``) so the store, sidecars and duplicates carry them without a schema
of their own; :func:`Framing.parse` and :meth:`Framing.text` are the one spelling, also used by
the command line (``crop:9:16``, ``crop:9:16@x,y,w,h``, ``pad:9:16``).
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass

from seedance_desktop.media.errors import MediaError


@dataclass(frozen=True)
class Selection:
    """Seconds ``start`` to ``end`` of a clip (``end`` > ``start`` >= 0)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)) or self.start < 0 or self.end <= self.start:
            raise MediaError(f"bad selection {self.start}-{self.end}",
                             user_message=f"The selection {self.start:g}-{self.end:g} s is not valid: "
                                          "the start must be at least 0 and before the end (e.g. 10-16).")

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @classmethod
    def parse(cls, text: str) -> Selection:
        """``"10-16"`` or ``"10.5-16"`` (seconds)."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", text)
        if match is None:
            raise MediaError(f"bad selection {text!r}",
                             user_message=f"'{text}' is not a selection: write START-END in seconds, e.g. 10-16.")
        return cls(float(match.group(1)), float(match.group(2)))

    def text(self) -> str:
        return f"{self.start:g}-{self.end:g}"


def default_selection(duration: float, max_seconds: float) -> Selection:
    """The first seconds that fit: the whole clip, or its first ``max_seconds``."""
    return Selection(0.0, max(0.001, min(duration, max_seconds)))


class FrameMode(enum.Enum):
    CROP = "crop"   # cut the picture to the ratio (centred, or the given rectangle)
    PAD = "pad"     # keep the whole picture, black bars up to the ratio


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


RATIO_PATTERN = re.compile(r"(\d+):(\d+)")


@dataclass(frozen=True)
class Framing:
    """Frame a picture for ``ratio`` (``"9:16"``). ``rect`` (crop only) is the region to keep,
    in displayed (upright) pixels of the source; None: the largest centred region of the ratio."""

    mode: FrameMode
    ratio: str
    rect: Rect | None = None

    @property
    def aspect(self) -> float:
        match = RATIO_PATTERN.fullmatch(self.ratio)
        assert match is not None
        return int(match.group(1)) / int(match.group(2))

    @classmethod
    def parse(cls, text: str) -> Framing:
        """``crop:9:16``, ``pad:16:9`` or ``crop:9:16@x,y,w,h``."""
        match = re.fullmatch(r"\s*(crop|pad):(\d+:\d+)(?:@(\d+),(\d+),(\d+),(\d+))?\s*", text)
        if match is None or int(match.group(2).split(":")[0]) == 0 or int(match.group(2).split(":")[1]) == 0:
            raise MediaError(f"bad framing {text!r}",
                             user_message=f"'{text}' is not a framing: write crop:W:H, pad:W:H or "
                                          "crop:W:H@X,Y,WIDTH,HEIGHT (e.g. crop:9:16).")
        rect = None
        if match.group(3) is not None:
            if match.group(1) != "crop":
                raise MediaError(f"bad framing {text!r}", user_message=f"'{text}': only a crop takes a rectangle.")
            x, y, w, h = (int(match.group(n)) for n in range(3, 7))
            if w < 2 or h < 2:
                raise MediaError(f"bad framing {text!r}", user_message=f"'{text}': the crop rectangle is too small.")
            rect = Rect(x, y, w, h)
        return cls(FrameMode(match.group(1)), match.group(2), rect)

    def text(self) -> str:
        base = f"{self.mode.value}:{self.ratio}"
        if self.rect is not None:
            base += f"@{self.rect.x},{self.rect.y},{self.rect.width},{self.rect.height}"
        return base


def crop_rect(width: int, height: int, framing: Framing) -> Rect:
    """The region of a ``width`` x ``height`` (displayed) picture a crop keeps. A given
    rectangle is clamped into the picture; raises MediaError when nothing of it is left."""
    if framing.rect is not None:
        # A rectangle drawn a little past the edge is clamped (rounding in a preview); one
        # mostly outside the picture was drawn for another clip and is refused.
        r = framing.rect
        x, y = max(0, r.x), max(0, r.y)
        w, h = min(r.x + r.width, width) - x, min(r.y + r.height, height) - y
        if w < 2 or h < 2 or w * h < 0.5 * r.width * r.height:
            raise MediaError(f"crop {r} outside {width}x{height}",
                             user_message=f"The crop rectangle lies outside the {width}x{height} picture.")
        return Rect(x, y, w, h)
    aspect = framing.aspect
    if width / height > aspect:
        w = max(2, round(height * aspect))
        return Rect((width - w) // 2, 0, w, height)
    h = max(2, round(width / aspect))
    return Rect(0, (height - h) // 2, width, h)


def framed_size(width: int, height: int, framing: Framing | None) -> tuple[int, int]:
    """The shape of the framed picture before scaling: the crop's size, or the padded canvas."""
    if framing is None:
        return width, height
    if framing.mode is FrameMode.CROP:
        r = crop_rect(width, height, framing)
        return r.width, r.height
    aspect = framing.aspect
    if width / height > aspect:
        return width, max(height, round(width / aspect))
    return max(width, round(height * aspect)), height


def fit_inside(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest even size of ``width``:``height`` inside ``box_w`` x ``box_h``."""
    scale = min(box_w / width, box_h / height)
    return max(2, min(box_w, round(width * scale / 2) * 2)), max(2, min(box_h, round(height * scale / 2) * 2))


__all__ = ["FrameMode", "Framing", "Rect", "Selection", "crop_rect", "default_selection", "fit_inside", "framed_size"]
