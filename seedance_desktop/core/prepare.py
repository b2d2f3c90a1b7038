"""Preparing a job's local inputs: the one use case both faces share.

Two entry points, one set of words:

* :func:`assess_inputs` is the quick check before queueing (probe, the limits for each input's
  kind, the decode check of the tail, and the totals across a field's files). The window's media
  items and the command line both show :attr:`InputAssessment.line` as it is, so they say the
  same thing: "Reference video 2 (clip.webm): Will be conformed before upload: scaled to
  1280x720, re-encoded as H.264."
* :class:`InputPreparer` is the engine's PREPARING step: the same assessment, then every input
  that needs it is conformed into the cache folder (``media.pipeline``), cancellable and with
  progress. What no conforming can fix raises :class:`InputRejected`.

The assessment is split in two so the window can stay responsive: :func:`inspect_input` does
the I/O for one file (run it in a worker), :func:`combine` is pure arithmetic over the results
of one job (totals: 15 s over all clips, 50 MB over all clips, 15 s over all audio).

Blocking: call :meth:`InputPreparer.prepare` and :func:`assess_inputs` from a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from seedance_desktop.api.spec import MODELS, MediaKind
from seedance_desktop.core.job import InputFile, Job
from seedance_desktop.errors import SeedanceError
from seedance_desktop.media.edit import Framing, Selection
from seedance_desktop.media.errors import ConformCancelled, MediaError
from seedance_desktop.media.pipeline import (
    Finding,
    Plan,
    Verdict,
    allot_seconds,
    assess,
    conform,
    judge_audio,
    judge_image,
    judge_video,
    video_byte_budget,
)
from seedance_desktop.media.probe import AUDIO_TOTAL_SECONDS, MediaInfo

Progress = Callable[[float], None]

#: Share of the progress bar the checks take when something is conformed afterwards.
_CHECK_SHARE = 0.1

_FIELD_KINDS: dict[str, MediaKind] = {
    "video_urls": MediaKind.VIDEO,
    "first_frame_image": MediaKind.IMAGE,
    "last_frame_image": MediaKind.IMAGE,
    "reference_images": MediaKind.IMAGE,
    "audio_urls": MediaKind.AUDIO,
}
_SINGULAR = {"Reference videos": "Reference video", "Reference images": "Reference image"}


class InputRejected(SeedanceError):
    """An input no conforming can fix. ``user_message`` names each input the way the user
    sees it, says what is wrong and how to fix it; ``problems`` has one line per input."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        text = " ".join(self.problems)
        super().__init__(text, user_message=text)


def field_kind(model: str, field: str) -> MediaKind:
    spec = MODELS.get(model)
    if spec is not None and spec.has_field(field) and spec.field(field).media is not None:
        kind = spec.field(field).media
        assert kind is not None
        return kind
    return _FIELD_KINDS.get(field, MediaKind.VIDEO)


def input_label(model: str, field: str, index: int, path: str) -> str:
    """The input as the user sees it: "Reference video 2 (clip.webm)", "First frame (a.png)"."""
    spec = MODELS.get(model)
    is_list = True
    label = field.replace("_", " ").capitalize()
    if spec is not None and spec.has_field(field):
        fspec = spec.field(field)
        label = fspec.label
        is_list = fspec.max_items > 1 or fspec.kind.value == "media_list"
    if is_list:
        label = f"{_SINGULAR.get(label, label)} {index + 1}"
    return f"{label} ({Path(path).name})"


@dataclass(frozen=True)
class InputAssessment:
    """The quick verdict on one local input, in the words both faces show."""

    field: str
    index: int
    source: str
    label: str
    verdict: Verdict
    message: str
    info: MediaInfo | None = None
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    @property
    def rejected(self) -> bool:
        return self.verdict is Verdict.REJECT

    @property
    def will_conform(self) -> bool:
        return self.verdict is Verdict.CONFORM

    @property
    def line(self) -> str:
        return f"{self.label}: {self.message}"


def inspect_input(path: str, kind: MediaKind) -> Finding:
    """The I/O half of the assessment for one file (probe + decode of the tail), at the
    single-file limits. Never raises for a bad file. Blocking: run it in a worker."""
    try:
        return assess(path, kind)
    except MediaError as exc:  # unexpected decoder trouble: still a plain verdict
        return Finding(Verdict.REJECT, reason=exc.user_message)


def combine(model: str, inputs: Sequence[InputFile], findings: Sequence[Finding]) -> list[InputAssessment]:
    """The pure half: apply the totals of each field to the per-file findings (15 s over all
    clips, in order; 50 MB over all clips; 15 s over all audio) and word the result."""
    findings = list(findings)
    edits: list[tuple[Selection | None, Framing | None]] = []
    for n, item in enumerate(inputs):
        try:
            edits.append(edit_of(item))
        except MediaError as exc:
            edits.append((None, None))
            findings[n] = Finding(Verdict.REJECT, info=findings[n].info, reason=exc.user_message)
    videos = [n for n, item in enumerate(inputs) if field_kind(model, item.field) is MediaKind.VIDEO]
    videos.sort(key=lambda n: (inputs[n].field, inputs[n].index))
    usable = [n for n in videos if findings[n].verdict is not Verdict.REJECT and findings[n].info is not None]
    durations: list[float | None] = [_span(findings[n].info, edits[n][0]) for n in usable]
    budget = video_byte_budget(len(usable))
    for n, allowed in zip(usable, allot_seconds(durations)):
        info = findings[n].info
        assert info is not None
        findings[n] = judge_video(info, max_seconds=allowed, max_bytes=budget, selection=edits[n][0],
                                  framing=edits[n][1])
    images = [n for n, item in enumerate(inputs) if field_kind(model, item.field) is MediaKind.IMAGE]
    for n in images:
        info = findings[n].info
        if findings[n].verdict is not Verdict.REJECT and info is not None and edits[n][1] is not None:
            findings[n] = judge_image(info, framing=edits[n][1])
    audios = sorted((n for n, item in enumerate(inputs) if field_kind(model, item.field) is MediaKind.AUDIO),
                    key=lambda n: inputs[n].index)
    left = AUDIO_TOTAL_SECONDS
    for n in audios:
        info = findings[n].info
        if findings[n].verdict is Verdict.REJECT or info is None:
            continue
        findings[n] = judge_audio(info, max_seconds=left, selection=edits[n][0])
        left -= min(left, _span(info, edits[n][0]) or 0.0)
    result = []
    for item, finding in zip(inputs, findings):
        result.append(InputAssessment(
            field=item.field, index=item.index, source=item.local_path,
            label=input_label(model, item.field, item.index, item.local_path),
            verdict=finding.verdict, message=finding.summary, info=finding.info, plan=finding.plan,
        ))
    return result


def edit_of(item: InputFile) -> tuple[Selection | None, Framing | None]:
    """The user's selection and framing of an input (raises MediaError for a bad spelling)."""
    selection = None
    if item.trim_start is not None or item.trim_end is not None:
        start = item.trim_start or 0.0
        selection = Selection(start, item.trim_end if item.trim_end is not None else start + 1e9)
    framing = Framing.parse(item.framing) if item.framing else None
    return selection, framing


def _span(info: MediaInfo | None, selection: Selection | None) -> float | None:
    """How long an input lasts once its selection is applied."""
    duration = info.duration if info is not None else None
    if selection is None or duration is None:
        return duration
    return max(0.0, min(selection.end, duration) - selection.start)


def assess_inputs(model: str, inputs: Sequence[InputFile]) -> list[InputAssessment]:
    """The quick check both faces run before queueing (blocking: probe + tail decode)."""
    findings = [inspect_input(item.local_path, field_kind(model, item.field)) for item in inputs]
    return combine(model, inputs, findings)


def _kept(item: InputFile) -> bool:
    """Already prepared (or uploaded) in an earlier run, and its prepared file still exists."""
    if item.uploaded_url:
        return True
    return item.prepared_note is not None and item.prepared_path is not None and Path(item.prepared_path).is_file()


class InputPreparer:
    """The PREPARING step: probe, check, conform what needs it, reject what cannot be fixed.

    ``cache_dir`` receives the conformed copies (named by source identity + plan, reused when
    present). The engine calls :meth:`prepare` in a worker thread.
    """

    def __init__(self, cache_dir: Path, *, assess: Callable[[str, MediaKind], Finding] = inspect_input) -> None:
        self.cache_dir = Path(cache_dir)
        self._inspect = assess

    def prepare(self, job: Job, *, progress: Callable[[float], None], cancel: threading.Event) -> list[InputFile]:
        """The job's inputs with ``prepared_path``/``prepared_note`` set. Raises
        :class:`InputRejected` or :class:`ConformCancelled`; blocking."""
        inputs = list(job.inputs)
        if cancel.is_set():
            raise ConformCancelled()
        findings: list[Finding] = []
        for position, item in enumerate(inputs):
            kind = field_kind(job.model, item.field)
            path = item.prepared_path if _kept(item) and item.prepared_path else item.local_path
            if _kept(item) and not Path(path).is_file():
                findings.append(Finding(Verdict.OK))  # uploaded already; the original may be gone
            else:
                findings.append(self._inspect(path, kind))
            if cancel.is_set():
                raise ConformCancelled()
            progress(_CHECK_SHARE * (position + 1) / max(1, len(inputs)))
        assessments = combine(job.model, inputs, findings)
        rejected = [a.line for item, a in zip(inputs, assessments) if a.rejected and not item.uploaded_url]
        if rejected:
            raise InputRejected(rejected)
        work = [(n, a) for n, (item, a) in enumerate(zip(inputs, assessments))
                if not _kept(item) and a.plan is not None]
        weights = [max(1.0, a.plan.max_seconds if a.plan else 1.0) for _, a in work]
        total = sum(weights) or 1.0
        done = 0.0
        for (n, assessment), weight in zip(work, weights):
            assert assessment.plan is not None
            base = _CHECK_SHARE + (1 - _CHECK_SHARE) * done / total
            span = (1 - _CHECK_SHARE) * weight / total

            def on_progress(fraction: float, base: float = base, span: float = span) -> None:
                progress(min(1.0, base + span * fraction))

            try:
                target = conform(inputs[n].local_path, assessment.plan, self.cache_dir, progress=on_progress, cancel=cancel)
            except ConformCancelled:
                raise
            except MediaError as exc:
                raise InputRejected([f"{assessment.label}: {exc.user_message}"]) from exc
            inputs[n] = replace(inputs[n], prepared_path=str(target), prepared_note=assessment.plan.describe())
            done += weight
        for n, (item, assessment) in enumerate(zip(inputs, assessments)):
            if not _kept(item) and assessment.plan is None:
                inputs[n] = replace(item, prepared_path=None, prepared_note=assessment.message)
        progress(1.0)
        return inputs


__all__ = [
    "InputAssessment",
    "InputPreparer",
    "InputRejected",
    "assess_inputs",
    "combine",
    "field_kind",
    "input_label",
    "inspect_input",
]
