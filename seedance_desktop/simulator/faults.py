"""Fault injection for the simulator.

Tests (and the command line) script what goes wrong and where: a 429 on the next three submits, an
HTML 502 on a poll, a connection dropped after the request was read, a truncated download... Each
:class:`Fault` targets one endpoint and is applied ``times`` times (``-1``: forever). The
:class:`FaultBook` is shared between the test thread that injects and the server's event-loop
thread that applies, so every access goes through one lock.
"""

from __future__ import annotations

import enum
import random
import threading
import time
from dataclasses import dataclass, field

#: Endpoint names used for faults and request counts.
ENDPOINTS = (
    "submit", "task", "upload", "files_list", "files_delete", "validate", "balance", "models",
    "result", "uploaded",
    # One submit path only (first contact, SPEC 1): the no-suffix path and the /async alias.
    # A fault on "submit" hits both; a request to either also counts as "submit".
    "submit_plain", "submit_async",
)


class FaultKind(enum.Enum):
    STATUS = "status"                  # JSON error envelope with any HTTP status (+ rate-limit headers)
    HTML_STATUS = "html_status"        # 500/502/503 with an HTML page, as a proxy would answer
    SLOW = "slow"                      # answer only after ``delay`` seconds (past the client's timeout)
    DROP = "drop"                      # read the request, then close the connection without answering
    MALFORMED_JSON = "malformed_json"  # 200 with a body that is not valid JSON
    TRUNCATE = "truncate"              # result download cut after ``after_bytes`` (Content-Length stays right)
    FAIL_TASK = "fail_task"            # the next task(s) end ``failed`` with ``message`` as reason
    EXPIRE_RESULT = "expire_result"    # the current result URL stops working (410/403); refetch gives a fresh one
    # --- hostile answers (issue 8): each reproducible per request -----------------------------
    UNTYPED = "untyped"                # task: success resources without ``type`` (and ``format`` with option=bare)
    STRING_RESOURCES = "string_resources"  # task: success resources as bare URL strings
    DEAD_LAST_FRAME = "dead_last_frame"  # task: an extra image resource whose link answers 404
    REFUSE_WITH_TASK = "refuse_with_task"  # submit: creates the task, yet answers ``status`` (HTTP, or
                                       # ``code`` in an HTTP ``http_status`` answer) carrying its task id
    BODY = "body"                      # result: option=html|zip|empty|gzip|cut (close-delimited, a third)
    TRICKLE = "trickle"                # result or JSON endpoint: the body at ``rate`` bytes/s, forever
    REDIRECT = "redirect"              # any: 302 to option (``{path}`` = this path+query, ``{port}``)
    DEEP_JSON = "deep_json"            # any JSON endpoint: 200 whose data nests ``depth`` levels
    HUGE_JSON = "huge_json"            # any JSON endpoint: 200 with an endless JSON body
    TASK_ID = "task_id"                # task: data.task_id is option=other|missing|blank
    RESULT_URL = "result_url"          # task: the video resource's URL is option verbatim (javascript:..., file:...,
                                       # a relative path; ``{path}``: the real URL's path and query)


#: Kinds that only make sense on one endpoint.
_FIXED_ENDPOINT = {
    FaultKind.FAIL_TASK: "submit", FaultKind.TRUNCATE: "result", FaultKind.EXPIRE_RESULT: "result",
    FaultKind.UNTYPED: "task", FaultKind.STRING_RESOURCES: "task", FaultKind.DEAD_LAST_FRAME: "task",
    FaultKind.TASK_ID: "task", FaultKind.BODY: "result", FaultKind.RESULT_URL: "task",
}
#: Kinds the request wrapper applies itself (the rest are taken by the handler at their point).
WRAPPER_KINDS = (
    FaultKind.STATUS, FaultKind.HTML_STATUS, FaultKind.SLOW, FaultKind.DROP, FaultKind.MALFORMED_JSON,
    FaultKind.REFUSE_WITH_TASK, FaultKind.TRICKLE, FaultKind.REDIRECT, FaultKind.DEEP_JSON, FaultKind.HUGE_JSON,
)


@dataclass(frozen=True)
class Fault:
    endpoint: str
    kind: FaultKind = FaultKind.STATUS
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int = 1
    message: str = ""
    #: TRUNCATE: how many body bytes are sent before the connection is closed.
    after_bytes: int = 65_536
    #: DROP / MALFORMED_JSON / SLOW on submit (and upload): whether the request is still carried out
    #: (task created, file stored) before the answer is lost or delayed. True is the
    #: dangerous case (a paid task exists, the client never learnt its id) the client must survive.
    create_task: bool = True
    #: STATUS: seconds from now written as a Unix time into ``X-RateLimit-Reset`` when applied.
    reset_in: float | None = None
    #: Chance that a matching request is hit (chaos runs: ``probability=0.1``); a miss does not
    #: use up ``times``. Drawn from a seeded generator, so a run is repeatable.
    probability: float = 1.0
    #: Kind-specific text: BODY's variant, REDIRECT's location, TASK_ID's mode, UNTYPED's "bare".
    option: str = ""
    #: TRICKLE: bytes per second.
    rate: float = 1.0
    #: DEEP_JSON: nesting levels.
    depth: int = 600
    #: REFUSE_WITH_TASK: the HTTP status of the answer (``status`` is then its ``code``); None:
    #: the HTTP status is ``status`` itself.
    http_status: int | None = None
    #: Seconds the fault stays active from its first hit (every matching request in the window
    #: is hit, ``times`` is then ignored): "403 on the result URL for 2 s after success".
    duration: float | None = None

    def __post_init__(self) -> None:
        if self.endpoint not in ENDPOINTS and self.endpoint != "any":
            raise ValueError(f"unknown endpoint {self.endpoint!r}; known: {', '.join(ENDPOINTS)}, any")
        fixed = _FIXED_ENDPOINT.get(self.kind)
        if fixed is not None and self.endpoint not in (fixed, "any"):
            raise ValueError(f"{self.kind.value} faults apply to the {fixed!r} endpoint")
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be a positive count or -1 (forever)")
        if not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be above 0 and at most 1")

    def response_headers(self) -> dict[str, str]:
        """Headers to send with a STATUS answer, with a relative reset turned into a Unix time."""
        headers = dict(self.headers)
        if self.reset_in is not None:
            headers["X-RateLimit-Reset"] = str(int(time.time() + self.reset_in))
        return headers

    @classmethod
    def parse(cls, text: str) -> "Fault":
        """Parse the command-line form ``endpoint:key=value,...``.

        Keys: ``kind`` (or a bare kind name such as ``drop``), ``status``, ``retry_after`` (any
        text: ``inf``, ``1e18``, an HTTP date), ``reset`` (seconds from now, sent as
        ``X-RateLimit-Reset``), ``reset_raw`` (the header's text as given), ``limit``,
        ``remaining``, ``delay``, ``times``, ``message``, ``after_bytes``, ``create_task``
        (true/false), ``probability`` (0-1), ``option`` (alias ``body``, ``location``, ``mode``),
        ``rate`` (bytes/s), ``depth``, ``http_status``, ``for`` (seconds active).
        ``status=`` alone means a JSON error envelope; ``html=502`` means an HTML error page.
        """
        endpoint, sep, rest = text.partition(":")
        if not sep or not endpoint:
            raise ValueError(f"fault {text!r} must look like 'submit:status=429,times=3'")
        kwargs: dict[str, object] = {}
        headers: dict[str, str] = {}
        kind: FaultKind | None = None
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, eq, value = item.partition("=")
            key = key.strip().lower()
            value = value.strip()
            if not eq:
                kind = _kind(key)
                continue
            if key == "kind":
                kind = _kind(value)
            elif key == "status":
                kwargs["status"] = int(value)
            elif key == "html":
                kind, kwargs["status"] = FaultKind.HTML_STATUS, int(value)
            elif key == "retry_after":
                headers["Retry-After"] = value
            elif key == "reset":
                kwargs["reset_in"] = float(value)
            elif key == "limit":
                headers["X-RateLimit-Limit"] = value
            elif key == "remaining":
                headers["X-RateLimit-Remaining"] = value
            elif key == "delay":
                kwargs["delay"] = float(value)
            elif key == "times":
                kwargs["times"] = int(value)
            elif key == "message":
                kwargs["message"] = value
            elif key in ("after_bytes", "bytes"):
                kwargs["after_bytes"] = int(value)
            elif key in ("probability", "p"):
                kwargs["probability"] = float(value)
            elif key in ("option", "body", "location", "mode"):
                kwargs["option"] = value
            elif key == "rate":
                kwargs["rate"] = float(value)
            elif key == "depth":
                kwargs["depth"] = int(value)
            elif key == "http_status":
                kwargs["http_status"] = int(value)
            elif key in ("for", "duration", "seconds"):
                kwargs["duration"] = float(value)
            elif key == "reset_raw":
                headers["X-RateLimit-Reset"] = value
            elif key == "create_task":
                kwargs["create_task"] = value.lower() in ("1", "true", "yes", "on")
            else:
                raise ValueError(f"unknown fault option {key!r} in {text!r}")
        if kind is None:
            kind = FaultKind.STATUS
        if kind is FaultKind.SLOW and "delay" not in kwargs:
            kwargs["delay"] = 30.0
        if kind is FaultKind.EXPIRE_RESULT and "status" not in kwargs:
            kwargs["status"] = 410
        if kind is FaultKind.REFUSE_WITH_TASK and "status" not in kwargs:
            kwargs["status"] = 429
        return cls(endpoint=endpoint.strip(), kind=kind, headers=headers, **kwargs)  # type: ignore[arg-type]


def _kind(name: str) -> FaultKind:
    try:
        return FaultKind(name.lower())
    except ValueError:
        raise ValueError(f"unknown fault kind {name!r}; known: {', '.join(k.value for k in FaultKind)}") from None


@dataclass
class _Entry:
    fault: Fault
    remaining: int  # -1: forever
    until: float | None = None  # a ``duration`` fault: active until this monotonic time


class FaultBook:
    """The pending faults, consumed in injection order. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._rng = random.Random(seed)

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._entries.append(_Entry(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [entry.fault for entry in self._entries]

    def take(self, endpoint: str, kinds: tuple[FaultKind, ...] | None = None) -> Fault | None:
        """Consume one application of the first fault matching ``endpoint`` (and one of ``kinds``).

        Without ``kinds``, faults applied at their own point (FAIL_TASK at task creation,
        TRUNCATE/EXPIRE_RESULT inside the download) are skipped.
        """
        with self._lock:
            now = time.monotonic()
            for entry in list(self._entries):
                if entry.until is not None and now >= entry.until:
                    self._entries.remove(entry)
                    continue
                fault = entry.fault
                if fault.endpoint not in (endpoint, "any"):
                    continue
                if kinds is None and fault.kind in _FIXED_ENDPOINT:
                    continue
                if kinds is not None and fault.kind not in kinds:
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                if fault.duration is not None:
                    if entry.until is None:
                        entry.until = now + fault.duration
                    return fault
                if entry.remaining > 0:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._entries.remove(entry)
                return fault
            return None
