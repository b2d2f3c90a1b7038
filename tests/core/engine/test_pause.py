"""The pause gate: one owner, one current reason, waits on an event."""

from __future__ import annotations

import asyncio

from seedance_desktop.core.engine.pause import UNKNOWN_STREAK_LIMIT, PauseGate, PauseKind


def test_the_most_severe_reason_wins_and_resume_lifts_every_reason() -> None:
    gate = PauseGate()
    seen: list[tuple[bool, str | None]] = []
    gate.add_listener(lambda paused, reason: seen.append((paused, reason)))
    gate.pause("mine")
    gate.block_submitting("no balance")
    gate.pause("mine again")  # milder: the balance reason stays
    assert gate.kind is PauseKind.BALANCE and gate.reason == "no balance"
    assert not gate.may_start and gate.may_send  # polls and downloads of paid work go on
    gate.block_everything("bad key")
    assert gate.kind is PauseKind.AUTH and not gate.may_send
    gate.resume()
    assert not gate.paused and gate.may_send and gate.may_start and gate.reason is None
    assert seen == [(True, "mine"), (True, "no balance"), (True, "bad key"), (False, None)]


def test_a_new_key_lifts_only_a_401() -> None:
    gate = PauseGate()
    gate.block_submitting("no balance")
    gate.new_key()
    assert gate.kind is PauseKind.BALANCE
    gate.block_everything("bad key")
    gate.new_key()
    assert not gate.paused


def test_two_unknown_outcomes_in_a_row_pause_submitting_a_known_one_ends_the_streak() -> None:
    gate = PauseGate()
    gate.note_submit_outcome(unknown=True)
    gate.note_submit_outcome(unknown=False)
    gate.note_submit_outcome(unknown=True)
    assert not gate.paused  # not in a row
    for _ in range(UNKNOWN_STREAK_LIMIT - 1):
        gate.note_submit_outcome(unknown=True)
    assert gate.kind is PauseKind.OUTCOME_UNKNOWN and "dashboard" in (gate.reason or "")
    gate.resume()
    gate.note_submit_outcome(unknown=True)
    assert not gate.paused  # resume starts counting afresh


def test_waiters_wake_when_the_gate_opens() -> None:
    async def main() -> None:
        gate = PauseGate()
        gate.block_everything("bad key")
        waiter = asyncio.ensure_future(gate.wait_until_may_send())
        await asyncio.sleep(0)
        assert not waiter.done()
        gate.new_key()
        await asyncio.wait_for(waiter, 1)

    asyncio.run(main())
