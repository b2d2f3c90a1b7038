"""Probe local media with PyAV and check it against the upstream input limits (SPEC §3).

The checks return *lists of friendly problem strings* instead of raising, so the form can show
every problem at once next to the file; an empty list means the input is acceptable. Sizes use
decimal megabytes (the stricter reading of "50 MB"); the File API's 16 MiB is said in MB too
(``UPLOAD_MAX_TEXT``), so one file's size and its limit are never in two units.
Probing is blocking I/O: call it from a worker thread, never the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.api.units import MB as MB  # re-exported: the checks and the pipeline share it
from seedance_desktop.media.errors import MediaError

if TYPE_CHECKING:
    # PyAV is imported where a file is opened: the limits and ``MediaInfo`` are imported by the
    # window's form and the engine at start-up, and PyAV (with numpy) takes ~0.1 s to import.
    import av
UPLOAD_MAX_BYTES = 16 * 1024 * 1024  # File API limit (16 MiB)

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
AUDIO_EXTENSIONS = frozenset({".mp3", ".wav"})
_OTHER_AUDIO = frozenset({".m4a", ".aac", ".ogg", ".oga", ".flac", ".opus"})
_IMAGE_CODECS = frozenset({"mjpeg", "png", "webp", "bmp", "tiff", "gif", "jpegls"})

VIDEO_SECONDS = (2.0, 15.0)
VIDEO_TOTAL_SECONDS = 15.0
VIDEO_PIXELS = (409_600, 927_408)
VIDEO_FPS = (24.0, 60.0)
VIDEO_MAX_COUNT = 3
VIDEO_TOTAL_BYTES = 50 * MB
IMAGE_MAX_BYTES = 30 * MB
IMAGE_SIDE = (300, 6000)
IMAGE_ASPECT = (0.4, 2.5)
AUDIO_MAX_COUNT = 3
AUDIO_TOTAL_SECONDS = 15.0
AUDIO_TOTAL_BYTES = 15 * MB


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    kind: MediaKind
    size_bytes: int
    duration: float | None = None     # seconds; None for still images
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_codec: str | None = None    # also the image codec (png, mjpeg...) for images
    has_audio: bool = False
    audio_codec: str | None = None
    container: str = ""               # FFmpeg format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    #: Counter-clockwise display rotation in degrees (phone clips filmed upright: 90 or -90).
    #: width/height are the stored (coded) size; see display_size.
    rotation: int = 0
    #: The decoded pixel format (e.g. "yuv420p"); None for audio or when unknown.
    pix_fmt: str | None = None

    @property
    def pixels(self) -> int | None:
        return self.width * self.height if self.width and self.height else None

    @property
    def aspect(self) -> float | None:
        return self.width / self.height if self.width and self.height else None

    @property
    def display_size(self) -> tuple[int, int] | None:
        if not self.width or not self.height:
            return None
        return (self.height, self.width) if self.rotation % 180 == 90 else (self.width, self.height)

    @property
    def name(self) -> str:
        return self.path.name


def probe(path: str | Path) -> MediaInfo:
    """Read a file's kind, duration, size, dimensions, frame rate and codecs.
    Raises :class:`MediaError` for a missing or unreadable file."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError(f"cannot stat {path}: {exc}", user_message=f"{path.name} cannot be opened ({exc.strerror or exc}).") from exc
    if not path.is_file():
        raise MediaError(f"{path} is not a file", user_message=f"{path.name} is not a file.")
    suffix = path.suffix.lower()
    import av

    try:
        with av.open(str(path)) as container:
            video = next((s for s in container.streams.video if not _is_cover_art(s)), None)
            audio = container.streams.audio[0] if container.streams.audio else None
            duration = container.duration / av.time_base if container.duration else None
            if video is not None:
                vcodec = video.codec_context.name
                is_image = suffix in IMAGE_EXTENSIONS or vcodec in _IMAGE_CODECS and suffix not in VIDEO_EXTENSIONS
                kind = MediaKind.IMAGE if is_image else MediaKind.VIDEO
                rate = video.average_rate or video.guessed_rate
                if duration is None and video.duration and video.time_base:
                    duration = float(video.duration * video.time_base)
                rotation = _first_frame_rotation(container, video) if kind is MediaKind.VIDEO else 0
                return MediaInfo(
                    path=path,
                    kind=kind,
                    size_bytes=size,
                    duration=None if kind is MediaKind.IMAGE else duration,
                    width=video.codec_context.width or None,
                    height=video.codec_context.height or None,
                    fps=None if kind is MediaKind.IMAGE or not rate else float(rate),
                    video_codec=vcodec,
                    has_audio=audio is not None,
                    audio_codec=audio.codec_context.name if audio is not None else None,
                    container=container.format.name,
                    rotation=rotation,
                    pix_fmt=video.codec_context.pix_fmt or None,
                )
            if audio is not None:
                if duration is None and audio.duration and audio.time_base:
                    duration = float(audio.duration * audio.time_base)
                return MediaInfo(
                    path=path,
                    kind=MediaKind.AUDIO,
                    size_bytes=size,
                    duration=duration,
                    has_audio=True,
                    audio_codec=audio.codec_context.name,
                    container=container.format.name,
                )
    except av.FFmpegError as exc:
        raise MediaError(
            f"cannot read {path}: {exc}",
            user_message=f"{path.name} is not a video, image or audio file this app can read.",
        ) from exc
    raise MediaError(f"{path} has no audio or video stream", user_message=f"{path.name} contains no picture or sound.")


def _first_frame_rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """The display rotation travels as frame side data: decode one frame to read it (cheap:
    one frame, and only for videos). Normalised to -90, 0, 90 or 180."""
    import av

    try:
        for frame in container.decode(stream):
            angle = int(round(frame.rotation or 0)) % 360
            return {0: 0, 90: 90, 180: 180, 270: -90}.get(angle, 0)
    except (av.FFmpegError, ValueError):
        return 0
    return 0


def _is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    """An MP3's embedded album cover shows up as a one-picture video stream."""
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


# ------------------------------------------------------------------------------ limits


def _mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


#: The File API's limit in the same unit as every size shown (rounded down: 16 MiB = 16.77 MB).
UPLOAD_MAX_TEXT = f"{int(UPLOAD_MAX_BYTES / MB * 10) / 10:.1f} MB (16 MiB)"


def check_reference_video(info: MediaInfo) -> list[str]:
    """Problems that stop this file being used as a reference video (empty list: fine)."""
    name = info.name
    if info.kind is not MediaKind.VIDEO:
        return [f"{name} is not a video."]
    problems = []
    if info.path.suffix.lower() not in VIDEO_EXTENSIONS and "mp4" not in info.container and "mov" not in info.container:
        problems.append(f"{name}: reference videos must be MP4 or MOV files.")
    low, high = VIDEO_SECONDS
    if info.duration is None:
        problems.append(f"{name}: its length cannot be read.")
    elif info.duration < low:
        problems.append(f"{name} is {info.duration:.1f} s long; reference videos must be at least {low:.0f} s.")
    elif info.duration > high + 0.05:
        problems.append(f"{name} is {info.duration:.1f} s long; reference videos may be at most {high:.0f} s (it can be trimmed).")
    pixels = info.pixels
    low_px, high_px = VIDEO_PIXELS
    if pixels is None:
        problems.append(f"{name}: its picture size cannot be read.")
    elif not low_px <= pixels <= high_px:
        direction = "small" if pixels < low_px else "large"
        problems.append(
            f"{name} is {info.width}×{info.height}, too {direction}: a frame must have between "
            f"{low_px:,} and {high_px:,} pixels (about 640×640 to 1280×720); it can be rescaled."
        )
    low_fps, high_fps = VIDEO_FPS
    if info.fps is None or not low_fps - 0.01 <= info.fps <= high_fps + 0.01:
        shown = "unknown" if info.fps is None else f"{info.fps:.3g}"
        problems.append(f"{name} runs at {shown} fps; reference videos need {low_fps:.0f} to {high_fps:.0f} fps.")
    if info.size_bytes > UPLOAD_MAX_BYTES:
        problems.append(f"{name} is {_mb(info.size_bytes)}; uploads are limited to {UPLOAD_MAX_TEXT} (it can be re-encoded smaller).")
    return problems


def check_video_set(infos: Sequence[MediaInfo]) -> list[str]:
    """Problems with the reference videos taken together (count, total length, total size)."""
    problems = []
    if len(infos) > VIDEO_MAX_COUNT:
        problems.append(f"{len(infos)} reference videos: at most {VIDEO_MAX_COUNT} are allowed.")
    total = sum(i.duration or 0.0 for i in infos)
    if total > VIDEO_TOTAL_SECONDS + 0.05:
        problems.append(f"The reference videos last {total:.1f} s together; at most {VIDEO_TOTAL_SECONDS:.0f} s in total is allowed.")
    size = sum(i.size_bytes for i in infos)
    if size >= VIDEO_TOTAL_BYTES:
        problems.append(f"The reference videos are {_mb(size)} together; they must stay under {_mb(VIDEO_TOTAL_BYTES)}.")
    return problems


def check_image(info: MediaInfo) -> list[str]:
    name = info.name
    if info.kind is not MediaKind.IMAGE:
        return [f"{name} is not an image."]
    problems = []
    if info.path.suffix.lower() not in IMAGE_EXTENSIONS and info.video_codec not in _IMAGE_CODECS:
        problems.append(f"{name}: images must be JPEG, PNG, WebP, BMP, TIFF or GIF.")
    if info.size_bytes > IMAGE_MAX_BYTES:
        problems.append(f"{name} is {_mb(info.size_bytes)}; images may be at most {_mb(IMAGE_MAX_BYTES)}.")
    low, high = IMAGE_SIDE
    if info.width is None or info.height is None:
        problems.append(f"{name}: its size cannot be read.")
        return problems
    if not (low <= info.width <= high and low <= info.height <= high):
        problems.append(f"{name} is {info.width}×{info.height}; each side must be {low} to {high} pixels.")
    aspect = info.aspect or 0.0
    a_low, a_high = IMAGE_ASPECT
    if not a_low <= aspect <= a_high:
        problems.append(f"{name} has an aspect ratio of {aspect:.2f}; it must be between {a_low} and {a_high} (width ÷ height).")
    return problems


def check_audio(info: MediaInfo) -> list[str]:
    name = info.name
    if info.kind is not MediaKind.AUDIO:
        return [f"{name} is not an audio file."]
    problems = []
    if info.path.suffix.lower() not in AUDIO_EXTENSIONS:
        problems.append(f"{name}: audio must be an MP3 or WAV file.")
    if info.duration is not None and info.duration > AUDIO_TOTAL_SECONDS + 0.05:
        problems.append(f"{name} is {info.duration:.1f} s long; audio may be at most {AUDIO_TOTAL_SECONDS:.0f} s in total.")
    if info.size_bytes >= AUDIO_TOTAL_BYTES:
        problems.append(f"{name} is {_mb(info.size_bytes)}; audio must stay under {_mb(AUDIO_TOTAL_BYTES)}.")
    return problems


def check_audio_set(infos: Sequence[MediaInfo]) -> list[str]:
    """Each file's problems plus the totals (count, length, size)."""
    problems = [p for info in infos for p in check_audio(info)]
    if len(infos) > AUDIO_MAX_COUNT:
        problems.append(f"{len(infos)} audio files: at most {AUDIO_MAX_COUNT} are allowed.")
    total = sum(i.duration or 0.0 for i in infos)
    if len(infos) > 1 and total > AUDIO_TOTAL_SECONDS + 0.05:
        problems.append(f"The audio files last {total:.1f} s together; at most {AUDIO_TOTAL_SECONDS:.0f} s in total is allowed.")
    size = sum(i.size_bytes for i in infos)
    if len(infos) > 1 and size >= AUDIO_TOTAL_BYTES:
        problems.append(f"The audio files are {_mb(size)} together; they must stay under {_mb(AUDIO_TOTAL_BYTES)}.")
    return problems


def is_supported_extension(path: str | Path) -> bool:
    suffix = Path(path).suffix.lower()
    return suffix in VIDEO_EXTENSIONS | IMAGE_EXTENSIONS | AUDIO_EXTENSIONS | _OTHER_AUDIO
