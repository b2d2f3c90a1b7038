"""Deep decode checks: does a file really decode to its end?

Probing reads the container's index only. A truncated MP4 whose index sits at the front
(``+faststart``) probes as a healthy "5.0 s · 1280x720" clip and only fails on the server
(``avcodec_send_packet()``). So before anything is uploaded, :func:`verify_decodes` seeks to
the last second, decodes every packet from the keyframe before it to the end, and requires the
last decoded frame to lie near the duration the index promised. A text file renamed ``.mp4``
already fails the probe. The engine also uses :func:`check_result_video` on downloads.

Blocking (decoding): call from a worker thread.
"""

from __future__ import annotations

from pathlib import Path

from seedance_desktop.api.spec import MediaKind
from seedance_desktop.media.errors import MediaError
from seedance_desktop.media.probe import MediaInfo, probe

#: How far before the end the tail check starts decoding (from the keyframe before it).
TAIL_SECONDS = 1.0
#: The last frame may end this much (or two frame intervals, if more) before the duration.
END_SLACK = 0.5


def _damaged(name: str, detail: str) -> MediaError:
    return MediaError(
        f"{name}: {detail}",
        user_message=(f"{name} does not decode to the end ({detail}): the file is truncated or damaged. "
                      "Export or copy the clip again."),
    )


def verify_decodes(path: str | Path, info: MediaInfo | None = None) -> MediaInfo:
    """Decode the last packets of the file's main stream (video, else audio; an image's one
    picture). Returns the probe; raises :class:`MediaError` with a plain reason."""
    path = Path(path)
    info = info or probe(path)
    name = path.name
    import av  # where the decoding is: see ``media.probe``

    try:
        with av.open(str(path)) as container:
            if info.kind is MediaKind.AUDIO:
                if not container.streams.audio:
                    raise MediaError(f"{path}: no audio stream", user_message=f"{name} contains no sound.")
                stream: av.stream.Stream = container.streams.audio[0]
            else:
                videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
                if not videos:
                    raise MediaError(f"{path}: no video stream", user_message=f"{name} contains no picture.")
                stream = videos[0]
                stream.thread_type = "AUTO"
            # Read while the container is open: PyAV 18 refuses a closed container's streams.
            time_base = stream.time_base
            start = float(stream.start_time * time_base) if stream.start_time is not None and time_base else 0.0
            duration = info.duration
            if info.kind is not MediaKind.IMAGE and duration and duration > TAIL_SECONDS:
                container.seek(int((duration - TAIL_SECONDS) * av.time_base), backward=True, any_frame=False)
            last_end: float | None = None
            frames = 0
            for packet in container.demux(stream):
                for frame in packet.decode():
                    if not isinstance(frame, (av.VideoFrame, av.AudioFrame)):
                        continue
                    frames += 1
                    if frame.time is not None:
                        length = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
                        end = frame.time + length
                        last_end = end if last_end is None else max(last_end, end)
                if info.kind is MediaKind.IMAGE and frames:
                    break
    except av.FFmpegError as exc:
        raise _damaged(name, f"decoding failed: {exc.strerror or exc}") from exc
    if frames == 0:
        raise _damaged(name, "no picture or sound could be decoded")
    if info.kind is MediaKind.IMAGE or not duration or last_end is None:
        return info
    interval = 1.0 / info.fps if info.fps else 0.0
    slack = max(END_SLACK, 2 * interval)
    if last_end - start < duration - slack:
        raise _damaged(name, f"decoding stops at {last_end - start:.1f} s of {duration:.1f} s")
    return info


def decoded_seconds(path: str | Path) -> float:
    """Decode every video frame and return where the last one ends (seconds from the first)."""
    path = Path(path)
    first: float | None = None
    last_end = 0.0
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                first = frame.time if first is None else first
                length = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
                last_end = max(last_end, frame.time + length)
    except (av.FFmpegError, IndexError) as exc:
        raise _damaged(path.name, f"decoding failed: {exc}") from exc
    return 0.0 if first is None else last_end - first


def check_result_video(path: str | Path, *, expected_seconds: float, tolerance: float | None = None) -> MediaInfo:
    """Verify a downloaded result: a video, with a video stream, that decodes from start to end
    and lasts about ``expected_seconds``. Raises :class:`MediaError` with a plain reason."""
    path = Path(path)
    try:
        info = probe(path)
    except MediaError as exc:
        raise MediaError(str(exc), user_message=f"The downloaded file {path.name} is not a video.") from exc
    if info.kind is not MediaKind.VIDEO:
        raise MediaError(f"{path}: {info.kind.value}", user_message=f"The downloaded file {path.name} has no video stream.")
    verify_decodes(path, info)  # the cheap tail check first: says "truncated" when it is
    seconds = decoded_seconds(path)
    allowed = tolerance if tolerance is not None else max(1.0, 0.15 * expected_seconds)
    if abs(seconds - expected_seconds) > allowed:
        raise MediaError(
            f"{path}: {seconds:.2f} s decoded, {expected_seconds} s expected",
            user_message=(f"The downloaded video decodes to {seconds:.1f} s where about {expected_seconds:g} s "
                          "was expected; it may be incomplete."),
        )
    return info
