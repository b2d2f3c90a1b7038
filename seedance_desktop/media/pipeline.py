"""One pipeline for a local input: probe -> check -> deep decode -> conform plan -> conformed copy.

``assess(path, kind, ...)`` is the cheap part (probe, the limits for the file's kind, the
decode check of the tail) and returns a :class:`Finding`: passes as it is, will be conformed
(with the :class:`VideoPlan` saying exactly what), or rejected (with what is wrong and how to
fix it). ``conform(path, plan, cache_dir, ...)`` carries a plan out into the cache folder,
cancellable and with progress, and never touches the original.

Conformed files are named by a hash of the source's identity (absolute path, size, mtime)
and the plan, and an existing one is reused, so a restart or a retry never re-encodes.

Reference videos are cut to the user's selection (default: the first seconds that fit),
framed (crop or pad to a ratio, when asked), scaled into the pixel range keeping the aspect
(up-scaling small clips too), brought to 24-60 fps and re-encoded as H.264 MP4 under 16 MiB.
Images are framed and scaled into 300-6000 px per side and 0.4-2.5 aspect (``image_conform``);
audio is cut and converted to MP3 within the 15 s total (``audio_conform``).

Blocking (probing, decoding, encoding): call from a worker thread.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.media.conform import conform_video, target_fps, target_size
from seedance_desktop.media.edit import FrameMode, Framing, Selection, crop_rect, default_selection, framed_size
from seedance_desktop.media.audio_conform import AudioPlan, conform_audio
from seedance_desktop.media.errors import MediaError
from seedance_desktop.media.image_conform import IMAGE_UPLOAD_BYTES, ImagePlan, conform_image, plan_image
from seedance_desktop.media.probe import (
    AUDIO_EXTENSIONS,
    AUDIO_TOTAL_BYTES,
    AUDIO_TOTAL_SECONDS,
    IMAGE_MAX_BYTES,
    MB,
    UPLOAD_MAX_BYTES,
    VIDEO_EXTENSIONS,
    VIDEO_FPS,
    VIDEO_PIXELS,
    VIDEO_SECONDS,
    VIDEO_TOTAL_BYTES,
    VIDEO_TOTAL_SECONDS,
    MediaInfo,
    probe,
)
from seedance_desktop.media.verify import verify_decodes

Progress = Callable[[float], None]

#: Bumped whenever conforming changes what it writes, so old cache entries are not reused.
PLAN_VERSION = 2
_SLACK = 0.05          # seconds: container durations are rounded
_FPS_SLACK = 0.01
_H264_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})


class Verdict(enum.Enum):
    OK = "ok"              # passes every limit as it is: the original is uploaded
    CONFORM = "conform"    # a conformed copy is uploaded (see Finding.plan)
    REJECT = "reject"      # no conforming can fix it (see Finding.reason)


@dataclass(frozen=True)
class VideoPlan:
    """What conforming one clip does. ``changes`` are plain words in order."""

    width: int
    height: int
    fps: Fraction
    max_seconds: float
    max_bytes: int
    changes: tuple[str, ...]
    #: Where the kept seconds start in the source, and the framing (None: as it is).
    start: float = 0.0
    framing: Framing | None = None

    @property
    def selection(self) -> Selection:
        return Selection(self.start, self.start + self.max_seconds)

    def describe(self) -> str:
        """E.g. "Trimmed to 15 s, scaled to 1280x720, re-encoded as H.264"."""
        text = ", ".join(self.changes)
        return text[:1].upper() + text[1:]

    def key(self) -> str:
        framing = self.framing.text() if self.framing else "-"
        return (f"v{PLAN_VERSION}:{self.width}x{self.height}@{self.fps}:{self.start:.3f}+{self.max_seconds:.3f}s:"
                f"{self.max_bytes}B:{framing}")


#: What conforming one input does, by kind.
Plan = VideoPlan | ImagePlan | AudioPlan


@dataclass(frozen=True)
class Finding:
    """The cheap verdict on one file. ``reason`` (REJECT) says what is wrong and how to fix
    it, without the file's name (the caller names the input the way the user sees it)."""

    verdict: Verdict
    info: MediaInfo | None = None
    plan: Plan | None = None
    reason: str = ""

    @property
    def summary(self) -> str:
        """The words both faces show for this file."""
        if self.verdict is Verdict.REJECT:
            return self.reason
        if self.plan is not None:
            return f"Will be conformed before upload: {self.plan.describe()[:1].lower()}{self.plan.describe()[1:]}."
        return "Passes every limit as it is."


def _seconds(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _fps_text(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def _reject(reason: str, info: MediaInfo | None = None) -> Finding:
    return Finding(Verdict.REJECT, info=info, reason=reason)


def _probe(path: Path, noun: str) -> MediaInfo | Finding:
    if not path.is_file():
        return _reject("The file does not exist any more. Add it again from where it is now.")
    try:
        return probe(path)
    except MediaError:
        return _reject(f"It cannot be read as {noun}: the file is damaged or is not {noun} at all. Choose another file.")


def _deep(info: MediaInfo) -> Finding | None:
    try:
        verify_decodes(info.path, info)
    except MediaError as exc:
        detail = str(exc).split(": ", 1)[-1]
        return _reject(f"It does not decode to the end ({detail}): the file is truncated or damaged. "
                       "Export or copy it again.", info)
    return None


# ------------------------------------------------------------------------------ videos


def plan_video(info: MediaInfo, *, max_seconds: float = VIDEO_SECONDS[1],
               max_bytes: int = UPLOAD_MAX_BYTES, selection: Selection | None = None,
               framing: Framing | None = None) -> VideoPlan | None:
    """The conform plan for a readable clip of at least 2 s, or None when it passes as it is.
    ``selection`` (seconds of the source) and ``framing`` are the user's edit; the kept span
    is the selection (default: from the start) cut to ``max_seconds``."""
    shown_w, shown_h = info.display_size or (info.width or 0, info.height or 0)
    framed_w, framed_h = framed_size(shown_w, shown_h, framing) if shown_w and shown_h else (0, 0)
    width, height = target_size(framed_w, framed_h) if framed_w and framed_h else (0, 0)
    rate = target_fps(info.fps)
    changes: list[str] = []
    duration = info.duration or 0.0
    chosen = selection or default_selection(duration, max_seconds)
    start, end = chosen.start, min(chosen.end, duration) if selection is not None else duration
    kept = min(end - start, max_seconds)
    if start > 0 or end < duration - _SLACK:
        changes.append(f"cut to {_seconds(start)}-{_seconds(start + kept)} s")
    elif duration > max_seconds + _SLACK:
        changes.append(f"trimmed to {_seconds(max_seconds)} s")
    if framing is not None and (framed_w, framed_h) != (shown_w, shown_h):
        changes.append(f"{'cropped' if framing.mode is FrameMode.CROP else 'padded'} to {framing.ratio}")
    if (width, height) != (framed_w, framed_h):
        changes.append(f"scaled to {width}x{height}")
    elif info.rotation % 360:
        changes.append("turned upright")
    low_fps, high_fps = VIDEO_FPS
    if info.fps is None or not low_fps - _FPS_SLACK <= info.fps <= high_fps + _FPS_SLACK:
        changes.append(f"converted to {_fps_text(rate)} fps")
    pixels = info.pixels or 0
    needs_encode = (
        bool(changes)
        or info.video_codec != "h264"
        or info.path.suffix.lower() not in VIDEO_EXTENSIONS
        or (info.pix_fmt is not None and info.pix_fmt not in _H264_PIXEL_FORMATS)
        or info.size_bytes > max_bytes
        or not VIDEO_PIXELS[0] <= pixels <= VIDEO_PIXELS[1]
    )
    if not needs_encode:
        return None
    changes.append("re-encoded as H.264" + (f" under {max_bytes / MB:.1f} MB" if info.size_bytes > max_bytes else ""))
    return VideoPlan(width, height, rate, max(0.0, min(max_seconds, kept)), max_bytes, tuple(changes), start=start,
                     framing=framing)


def judge_video(info: MediaInfo, *, max_seconds: float = VIDEO_SECONDS[1],
                max_bytes: int = UPLOAD_MAX_BYTES, selection: Selection | None = None,
                framing: Framing | None = None) -> Finding:
    """The verdict on a probed clip (pure arithmetic, no I/O). ``max_seconds`` is what this
    clip may last (less than 15 s when other clips share the 15 s total); ``selection`` and
    ``framing`` are the user's edit (checked against the clip here)."""
    low = VIDEO_SECONDS[0]
    if info.kind is MediaKind.AUDIO:
        return _reject("It holds only sound, no picture. Choose a video file.", info)
    if info.kind is not MediaKind.VIDEO or not info.width or not info.height:
        return _reject("It is a still image, not a video. Add it as an image, or choose a video file.", info)
    if info.duration is None:
        return _reject("Its length cannot be read. Export the clip again as MP4.", info)
    if info.duration < low - _SLACK:
        return _reject(f"It is {info.duration:.1f} s long; reference videos must be at least {_seconds(low)} s. "
                       f"Use a clip of {_seconds(low)} to {_seconds(VIDEO_SECONDS[1])} s.", info)
    if max_seconds < low - _SLACK:
        return _reject(f"The clips before it already use the {_seconds(VIDEO_TOTAL_SECONDS)} s allowed for all "
                       "reference videos together. Remove a clip or use shorter ones.", info)
    if selection is not None:
        if selection.start >= info.duration - low + _SLACK:
            return _reject(f"The selection starts at {_seconds(selection.start)} s, but the clip is only "
                           f"{info.duration:.1f} s long; choose a start before {_seconds(max(0.0, info.duration - low))} s.",
                           info)
        if min(selection.end, info.duration) - selection.start < low - _SLACK:
            return _reject(f"The selection {selection.text()} s is shorter than {_seconds(low)} s; reference videos "
                           f"must last {_seconds(low)} to {_seconds(VIDEO_SECONDS[1])} s. Widen it.", info)
    if framing is not None and framing.rect is not None:
        shown = info.display_size or (info.width, info.height)
        try:
            crop_rect(shown[0], shown[1], framing)
        except MediaError as exc:
            return _reject(exc.user_message + " Draw it again on this clip.", info)
    plan = plan_video(info, max_seconds=max_seconds, max_bytes=max_bytes, selection=selection, framing=framing)
    return Finding(Verdict.CONFORM if plan else Verdict.OK, info=info, plan=plan)


def assess_video(path: str | Path, *, max_seconds: float = VIDEO_SECONDS[1],
                 max_bytes: int = UPLOAD_MAX_BYTES, deep: bool = True, selection: Selection | None = None,
                 framing: Framing | None = None) -> Finding:
    """Probe, check and (``deep``) decode the tail of one reference video."""
    found = _probe(Path(path), "a video")
    if isinstance(found, Finding):
        return found
    finding = judge_video(found, max_seconds=max_seconds, max_bytes=max_bytes, selection=selection, framing=framing)
    if deep and finding.verdict is not Verdict.REJECT:
        return _deep(found) or finding
    return finding


def allot_seconds(durations: list[float | None]) -> list[float]:
    """How long each clip may last so that all fit the 15 s total: in order, each clip keeps
    what it has up to what is left, leaving 2 s for every clip after it."""
    low, high = VIDEO_SECONDS
    left = VIDEO_TOTAL_SECONDS
    allowed: list[float] = []
    for position, duration in enumerate(durations):
        later = len(durations) - position - 1
        room = min(high, left - low * later)
        allowed.append(max(0.0, room))
        used = min(duration or 0.0, room) if room >= low else 0.0
        left -= used
    return allowed



def video_byte_budget(count: int) -> int:
    """Per-clip upload budget: 16 MiB, less when the clips together would reach 50 MB."""
    if count <= 1:
        return UPLOAD_MAX_BYTES
    return min(UPLOAD_MAX_BYTES, (VIDEO_TOTAL_BYTES - MB // 2) // count)


# ------------------------------------------------------------------------------ images, audio


def assess_image(path: str | Path, *, deep: bool = True, framing: Framing | None = None) -> Finding:
    """Check one image; what breaks a limit (sides, aspect, size) is planned for conforming."""
    found = _probe(Path(path), "an image")
    if isinstance(found, Finding):
        return found
    info = found
    if info.kind is not MediaKind.IMAGE:
        return _reject("It is not an image. Choose a JPEG, PNG, WebP, BMP, TIFF or GIF file.", info)
    if not info.width or not info.height:
        return _reject("Its size cannot be read. Save it again as PNG or JPEG.", info)
    if info.size_bytes > 20 * IMAGE_MAX_BYTES:
        return _reject(f"It is {info.size_bytes / MB:.0f} MB, too big to convert here. Save it smaller.", info)
    if deep:
        broken = _deep(info)
        if broken is not None:
            return broken
    return judge_image(info, framing=framing)


def judge_image(info: MediaInfo, *, framing: Framing | None = None) -> Finding:
    """The verdict on a probed image (pure): as it is, or the conform plan."""
    plan = plan_image(info, framing)
    return Finding(Verdict.CONFORM if plan else Verdict.OK, info=info, plan=plan)


def judge_audio(info: MediaInfo, *, max_seconds: float = AUDIO_TOTAL_SECONDS,
                selection: Selection | None = None) -> Finding:
    """The verdict on a probed audio file (pure); ``max_seconds``: what is left of the 15 s.
    Too long, the wrong format or the user's selection: cut and converted to MP3."""
    if info.kind is not MediaKind.AUDIO:
        return _reject("It is not an audio file. Choose an MP3 or WAV file.", info)
    duration = info.duration or 0.0
    if max_seconds < 1.0 - _SLACK:
        return _reject(f"The audio before it already uses the {_seconds(AUDIO_TOTAL_SECONDS)} s allowed in total. "
                       "Remove an audio file or select a shorter part of the others.", info)
    start = selection.start if selection is not None else 0.0
    end = min(selection.end, duration) if selection is not None and duration else (selection.end if selection else duration)
    if selection is not None and duration and start >= duration - _SLACK:
        return _reject(f"The selection starts at {_seconds(start)} s, but the sound is only {duration:.1f} s long.", info)
    kept = min(end - start, max_seconds)
    changes: list[str] = []
    if start > 0 or end < duration - _SLACK:
        changes.append(f"cut to {_seconds(start)}-{_seconds(start + kept)} s")
    elif duration > max_seconds + _SLACK:
        changes.append(f"trimmed to {_seconds(max_seconds)} s")
    if changes or info.path.suffix.lower() not in AUDIO_EXTENSIONS or info.size_bytes >= AUDIO_TOTAL_BYTES:
        changes.append("converted to MP3")
        return Finding(Verdict.CONFORM, info=info, plan=AudioPlan(start, kept, tuple(changes)))
    return Finding(Verdict.OK, info=info)


def assess_audio(path: str | Path, *, max_seconds: float = AUDIO_TOTAL_SECONDS, deep: bool = True,
                 selection: Selection | None = None) -> Finding:
    """Check one audio file (and plan its conversion when it breaks a limit)."""
    found = _probe(Path(path), "audio")
    if isinstance(found, Finding):
        return found
    finding = judge_audio(found, max_seconds=max_seconds, selection=selection)
    if deep and finding.verdict is not Verdict.REJECT:
        return _deep(found) or finding
    return finding


def assess(path: str | Path, kind: MediaKind, *, max_seconds: float | None = None,
           max_bytes: int = UPLOAD_MAX_BYTES, deep: bool = True, selection: Selection | None = None,
           framing: Framing | None = None) -> Finding:
    """The checks for ``kind``. Never raises for a bad file: the Finding says what is wrong."""
    if kind is MediaKind.VIDEO:
        return assess_video(path, max_seconds=VIDEO_SECONDS[1] if max_seconds is None else max_seconds,
                            max_bytes=max_bytes, deep=deep, selection=selection, framing=framing)
    if kind is MediaKind.IMAGE:
        return assess_image(path, deep=deep, framing=framing)
    return assess_audio(path, max_seconds=AUDIO_TOTAL_SECONDS if max_seconds is None else max_seconds, deep=deep,
                        selection=selection)


# ------------------------------------------------------------------------------ conforming


def cache_path(source: str | Path, plan: Plan, cache_dir: str | Path) -> Path:
    """Where the conformed copy of ``source`` under ``plan`` lives: a hash of the source's
    identity (absolute path, size, mtime) and the plan."""
    source = Path(source).resolve()
    stat = source.stat()
    identity = f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{plan.key()}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:20]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in source.stem)[:40] or "clip"
    suffix = ".mp4" if isinstance(plan, VideoPlan) else plan.suffix
    return Path(cache_dir) / f"{stem}-{digest}{suffix}"


def check_conformed(path: Path, plan: Plan) -> MediaInfo:
    """Probe a conformed copy and verify it passes every limit and decodes to its end."""
    info = probe(path)
    problems: list[str] = []
    if isinstance(plan, ImagePlan):
        if info.kind is not MediaKind.IMAGE or (info.width, info.height) != (plan.width, plan.height):
            problems.append(f"is {info.width}x{info.height}")
        if info.size_bytes > IMAGE_UPLOAD_BYTES:
            problems.append(f"is {info.size_bytes} bytes")
    elif isinstance(plan, AudioPlan):
        if info.kind is not MediaKind.AUDIO or info.duration is None or info.duration > plan.max_seconds + 0.1:
            problems.append(f"lasts {info.duration} s")
        if info.size_bytes >= AUDIO_TOTAL_BYTES:
            problems.append(f"is {info.size_bytes} bytes")
    else:
        if info.kind is not MediaKind.VIDEO or info.video_codec != "h264":
            problems.append(f"not H.264 video ({info.video_codec})")
        if info.duration is None or not VIDEO_SECONDS[0] - _SLACK <= info.duration <= plan.max_seconds + _SLACK:
            problems.append(f"lasts {info.duration} s")
        if not VIDEO_PIXELS[0] <= (info.pixels or 0) <= VIDEO_PIXELS[1]:
            problems.append(f"is {info.width}x{info.height}")
        if info.fps is None or not VIDEO_FPS[0] - _FPS_SLACK <= info.fps <= VIDEO_FPS[1] + _FPS_SLACK:
            problems.append(f"runs at {info.fps} fps")
        if info.size_bytes > plan.max_bytes:
            problems.append(f"is {info.size_bytes} bytes")
    if problems:
        raise MediaError(f"conformed copy {path} {', '.join(problems)}",
                         user_message=f"{path.name} could not be converted to fit the limits ({', '.join(problems)}).")
    verify_decodes(path, info)
    return info


def conform(source: str | Path, plan: Plan, cache_dir: str | Path, *,
            progress: Progress | None = None, cancel: threading.Event | None = None) -> Path:
    """The conformed copy of ``source`` for ``plan`` (reused when already in the cache),
    verified against every limit. Raises MediaError or ConformCancelled."""
    target = cache_path(source, plan, cache_dir)
    if target.is_file():
        try:
            check_conformed(target, plan)
            if progress is not None:
                progress(1.0)
            return target
        except MediaError:
            target.unlink(missing_ok=True)  # a damaged cache entry: make it again
    if isinstance(plan, ImagePlan):
        conform_image(source, target, plan)
    elif isinstance(plan, AudioPlan):
        conform_audio(source, target, plan, progress=progress, cancel=cancel)
    else:
        conform_video(source, target, progress=progress, cancel=cancel, max_bytes=plan.max_bytes,
                      max_seconds=plan.max_seconds, selection=plan.selection, framing=plan.framing)
    try:
        check_conformed(target, plan)
    except MediaError:
        target.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(1.0)
    return target
