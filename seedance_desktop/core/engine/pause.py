"""The pause gate: the one owner of every reason the engine stops sending.

Four things may stop the engine from talking to Modellix, and before this gate they were four
flags in three places that could disagree about why the queue was paused:

* the person pressed Pause (no new jobs start; running ones continue: they are paid for);
* a **401** (key missing, invalid or expired): *nothing* may be sent until there is a new key
  (:meth:`PauseGate.new_key`) or the person resumes;
* a **402** (insufficient balance): no new submits until the person resumes;
* **two outcome-unknown submits in a row** (SPEC section 5): something between us and Modellix
  loses answers to paid POSTs; sending more would risk paying for jobs we cannot track, so new
  submissions wait until the person has looked and resumes.

The gate holds ONE current reason (the most severe one wins: 401 over 402/unknown over the
person's own pause), tells pause listeners on every change, and lets coroutines wait on an
``asyncio.Event`` (no polling) until they may send.
"""

from __future__ import annotations

import asyncio
import enum
import logging

from seedance_desktop.core.engine.protocols import PauseListener

log = logging.getLogger(__name__)

#: After this many outcome-unknown submits in a row, new submissions pause (SPEC section 5).
UNKNOWN_STREAK_LIMIT = 2


class PauseKind(enum.IntEnum):
    """Why the engine is paused, by severity (a more severe reason replaces a milder one)."""

    USER = 1             # the person's Pause: start no new jobs
    OUTCOME_UNKNOWN = 2  # two unknown submit outcomes in a row: submit nothing new
    BALANCE = 3          # 402: submit nothing new
    AUTH = 4             # 401: send nothing at all


USER_PAUSE_REASON = "The queue is paused."
UNKNOWN_STREAK_REASON = (
    "Submitting paused: the last {n} submissions ended with an unknown outcome (they may or may not "
    "have reached Modellix), so no more paid jobs are sent until you have checked. Look at your "
    "Modellix dashboard, use 'Submit again' on the jobs that are not there, then resume the queue."
)


class PauseGate:
    """See the module docstring. Call on the loop thread."""

    def __init__(self) -> None:
        self._kind: PauseKind | None = None
        self._reason: str | None = None
        self._unknown_streak = 0
        self._listeners: list[PauseListener] = []
        self._may_send = asyncio.Event()
        self._may_send.set()
        self._may_start = asyncio.Event()
        self._may_start.set()

    # -- state ---------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._kind is not None

    @property
    def kind(self) -> PauseKind | None:
        return self._kind

    @property
    def reason(self) -> str | None:
        return self._reason

    @property
    def may_start(self) -> bool:
        """New jobs may start and queued jobs may be submitted."""
        return self._kind is None

    @property
    def may_send(self) -> bool:
        """Requests may go out at all (polls, uploads, downloads of paid results)."""
        return self._kind is not PauseKind.AUTH

    async def wait_until_may_send(self) -> None:
        await self._may_send.wait()

    async def wait_until_may_start(self) -> None:
        await self._may_start.wait()

    def add_listener(self, callback: PauseListener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: PauseListener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    # -- reasons -------------------------------------------------------------------------

    def pause(self, reason: str | None = None) -> None:
        """The person's pause (or a caller's own, e.g. a CLI that must not send)."""
        self._set(PauseKind.USER, reason or USER_PAUSE_REASON)

    def block_everything(self, reason: str) -> None:
        """A 401: nothing is sent until :meth:`new_key` or :meth:`resume`."""
        self._set(PauseKind.AUTH, reason)

    def block_submitting(self, reason: str) -> None:
        """A 402: no new submits until :meth:`resume`."""
        self._set(PauseKind.BALANCE, reason)

    def note_submit_outcome(self, *, unknown: bool) -> None:
        """Every submit's outcome: known (a task id, or a clear refusal) ends the streak; the
        second unknown one in a row pauses new submissions."""
        if not unknown:
            self._unknown_streak = 0
            return
        self._unknown_streak += 1
        if self._unknown_streak >= UNKNOWN_STREAK_LIMIT:
            self._set(PauseKind.OUTCOME_UNKNOWN, UNKNOWN_STREAK_REASON.format(n=self._unknown_streak))

    def new_key(self) -> None:
        """A new client (key) lifts a 401 pause, and only that."""
        if self._kind is PauseKind.AUTH:
            self._clear()

    def resume(self) -> None:
        """The person resumes: every reason is lifted (after a 402 or an unknown streak the
        person has looked; after a 401 the next answer will tell again)."""
        self._unknown_streak = 0
        if self._kind is not None:
            self._clear()

    # -- internals -----------------------------------------------------------------------

    def _set(self, kind: PauseKind, reason: str) -> None:
        if self._kind is not None and self._kind > kind:
            log.info("pause (%s) kept over %s: %s", self._kind.name, kind.name, reason)
            return
        changed = (self._kind, self._reason) != (kind, reason)
        self._kind, self._reason = kind, reason
        self._may_start.clear()
        if kind is PauseKind.AUTH:
            self._may_send.clear()
        if changed:
            self._notify()

    def _clear(self) -> None:
        self._kind, self._reason = None, None
        self._may_send.set()
        self._may_start.set()
        self._notify()

    def _notify(self) -> None:
        for callback in list(self._listeners):
            try:
                callback(self.paused, self._reason)
            except Exception:  # noqa: BLE001 - a listener bug must not stop the engine
                log.exception("a pause listener failed")


__all__ = ["PauseGate", "PauseKind", "UNKNOWN_STREAK_LIMIT", "UNKNOWN_STREAK_REASON", "USER_PAUSE_REASON"]
