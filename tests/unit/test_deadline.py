"""``within``: a bounded call that pays for a timer only once it suspends."""

from __future__ import annotations

import asyncio

import pytest

from commerce_core.shared.deadline import within


async def answers_at_once(value: int) -> int:
    return value


async def answers_after(turns: int, value: int, log: list[str]) -> int:
    for _ in range(turns):
        await asyncio.sleep(0)
        log.append("turn")
    await asyncio.sleep(0.01)
    return value


async def never_answers(log: list[str]) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        log.append("cleaned up")


async def fails(after_suspending: bool) -> None:
    if after_suspending:
        await asyncio.sleep(0)
    raise ValueError("refused")


async def test_a_call_that_answers_at_once_returns_its_answer_without_arming_a_timer():
    loop = asyncio.get_running_loop()
    timers_before = len(loop._scheduled)  # type: ignore[attr-defined]
    assert await within(0.05, answers_at_once(7)) == 7
    assert len(loop._scheduled) == timers_before  # type: ignore[attr-defined]


async def test_a_call_that_suspends_is_resumed_to_its_answer():
    log: list[str] = []
    assert await within(1.0, answers_after(3, 9, log)) == 9
    assert log == ["turn"] * 3


async def test_a_call_that_never_answers_times_out_and_is_cancelled():
    log: list[str] = []
    with pytest.raises(TimeoutError):
        await within(0.02, never_answers(log))
    assert log == ["cleaned up"]


@pytest.mark.parametrize("after_suspending", [False, True])
async def test_an_error_of_the_call_comes_out_unchanged(after_suspending):
    with pytest.raises(ValueError, match="refused"):
        await within(1.0, fails(after_suspending))


async def test_cancelling_the_caller_cancels_the_call_and_is_no_time_out():
    log: list[str] = []
    caller = asyncio.create_task(within(10.0, never_answers(log)))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert log == ["cleaned up"]


async def test_the_bound_counts_only_waiting_time_across_several_suspensions():
    log: list[str] = []

    async def slow_in_steps() -> str:
        for _ in range(5):
            await asyncio.sleep(0.01)
            log.append("step")
        return "done"

    with pytest.raises(TimeoutError):
        await within(0.025, slow_in_steps())
    assert 1 <= len(log) < 5
