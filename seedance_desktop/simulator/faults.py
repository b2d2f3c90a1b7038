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


#: Kinds that only make sense on one endpoint.
_FIXED_ENDPOINT = {FaultKind.FAIL_TASK: "submit", FaultKind.TRUNCATE: "result", FaultKind.EXPIRE_RESULT: "result"}


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

        Keys: ``kind`` (or a bare kind name such as ``drop``), ``status``, ``retry_after``,
        ``reset`` (seconds from now, sent as ``X-RateLimit-Reset``), ``limit``, ``remaining``,
        ``delay``, ``times``, ``message``, ``after_bytes``, ``create_task`` (true/false),
        ``probability`` (0-1).
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
            for entry in self._entries:
                fault = entry.fault
                if fault.endpoint not in (endpoint, "any"):
                    continue
                if kinds is None and fault.kind in _FIXED_ENDPOINT:
                    continue
                if kinds is not None and fault.kind not in kinds:
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                if entry.remaining > 0:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._entries.remove(entry)
                return fault
            return None
