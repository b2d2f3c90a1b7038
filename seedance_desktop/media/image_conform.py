"""Conform a still image to the image limits (SPEC section 3): 300-6000 px per side, aspect
0.4-2.5, an accepted format, under the upload size.

The plan is pure arithmetic (:func:`plan_image`); :func:`conform_image` decodes the picture,
frames it (the user's crop/pad, or padding when the aspect is out of range), scales it into the
side limits and writes PNG (or JPEG for photographs that came as JPEG, which stay small).
Blocking: call from a worker thread. PyAV is imported inside the functions (start-up time).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from seedance_desktop.media.edit import FrameMode, Framing, framed_size
from seedance_desktop.media.errors import MediaError
from seedance_desktop.media.probe import IMAGE_ASPECT, IMAGE_EXTENSIONS, IMAGE_MAX_BYTES, IMAGE_SIDE, UPLOAD_MAX_BYTES, MediaInfo

#: The most an image may weigh once conformed (the File API's 16 MiB is the tighter limit).
IMAGE_UPLOAD_BYTES = min(IMAGE_MAX_BYTES, UPLOAD_MAX_BYTES)


@dataclass(frozen=True)
class ImagePlan:
    """What conforming one image does. ``fmt`` is "png" or "jpeg"."""

    width: int
    height: int
    fmt: str
    changes: tuple[str, ...]
    framing: Framing | None = None

    #: Weight in the progress bar (an image is quick, like a second of video).
    max_seconds: float = 1.0

    @property
    def suffix(self) -> str:
        return ".jpg" if self.fmt == "jpeg" else ".png"

    def describe(self) -> str:
        text = ", ".join(self.changes)
        return text[:1].upper() + text[1:]

    def key(self) -> str:
        return f"i1:{self.width}x{self.height}:{self.fmt}:{self.framing.text() if self.framing else '-'}"


def _ratio_text(aspect: float) -> str:
    fraction = Fraction(aspect).limit_denominator(20)
    return f"{fraction.numerator}:{fraction.denominator}"


def plan_image(info: MediaInfo, framing: Framing | None = None) -> ImagePlan | None:
    """The plan for a readable image, or None when it passes every limit as it is. An aspect
    outside 0.4-2.5 without a framing from the user is padded to the nearest allowed one."""
    width, height = info.width or 0, info.height or 0
    if not width or not height:
        return None
    changes: list[str] = []
    aspect = width / height
    if framing is None and not IMAGE_ASPECT[0] <= aspect <= IMAGE_ASPECT[1]:
        framing = Framing(FrameMode.PAD, _ratio_text(IMAGE_ASPECT[0] if aspect < IMAGE_ASPECT[0] else IMAGE_ASPECT[1]))
    fw, fh = framed_size(width, height, framing)
    if framing is not None and (fw, fh) != (width, height):
        changes.append(f"{'cropped' if framing.mode is FrameMode.CROP else 'padded'} to {framing.ratio}")
    low, high = IMAGE_SIDE
    scale = 1.0
    if max(fw, fh) > high:
        scale = high / max(fw, fh)
    if min(fw, fh) * scale < low:
        scale = low / min(fw, fh)
    out_w, out_h = max(low, min(high, round(fw * scale))), max(low, min(high, round(fh * scale)))
    if (out_w, out_h) != (fw, fh):
        changes.append(f"scaled to {out_w}x{out_h}")
    jpeg_source = info.video_codec == "mjpeg"
    fmt = "jpeg" if jpeg_source else "png"
    bad_format = info.path.suffix.lower() not in IMAGE_EXTENSIONS
    if not changes and not bad_format and info.size_bytes <= IMAGE_UPLOAD_BYTES:
        return None
    if bad_format or info.size_bytes > IMAGE_UPLOAD_BYTES or changes:
        changes.append(f"saved as {'JPEG' if fmt == 'jpeg' else 'PNG'}")
    return ImagePlan(out_w, out_h, fmt, tuple(changes), framing)


def conform_image(src: str | Path, dst: str | Path, plan: ImagePlan) -> Path:
    """Write the conformed image to ``dst`` (via ``dst.part``, renamed when whole)."""
    import av

    from seedance_desktop.media.conform import Shape

    src, dst = Path(src), Path(dst)
    try:
        with av.open(str(src)) as container:
            frame = next(container.decode(video=0), None)
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"decode {src}: {exc}", user_message=f"{src.name} could not be read as a picture.") from exc
    if frame is None:
        raise MediaError(f"{src}: no picture", user_message=f"{src.name} contains no picture.")
    shape = Shape.of(frame.width, frame.height, plan.width, plan.height, 0, plan.framing)
    rgb = shape.rgb(frame)
    data = encode_still(rgb, plan.fmt)
    if len(data) > IMAGE_UPLOAD_BYTES and plan.fmt == "png":
        data = encode_still(rgb, "jpeg")  # a noisy photograph as PNG: JPEG is a tenth of it
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    return dst


def encode_still(rgb: object, fmt: str) -> bytes:
    """PNG or JPEG bytes of an RGB picture (a numpy array of height x width x 3)."""
    import av
    import numpy as np

    picture = np.ascontiguousarray(rgb, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    if fmt == "jpeg":
        codec = av.CodecContext.create("mjpeg", "w")
        codec.pix_fmt = "yuvj420p"
        codec.options = {"qmin": "2", "qmax": "4"}
        frame = frame.reformat(format="yuvj420p")
    else:
        codec = av.CodecContext.create("png", "w")
        codec.pix_fmt = "rgb24"
    codec.width, codec.height = frame.width, frame.height
    codec.time_base = Fraction(1, 25)
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    if not packets:
        raise MediaError(f"{fmt} encoder produced nothing", user_message="The picture could not be saved.")
    return b"".join(bytes(p) for p in packets)


__all__ = ["IMAGE_UPLOAD_BYTES", "ImagePlan", "conform_image", "encode_still", "plan_image"]
