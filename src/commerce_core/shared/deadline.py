"""Bounding a call to the outside world (a payment gateway, a notification channel) in time.

``asyncio.timeout`` arms a timer on the event loop for every call and cancels it afterwards. Most
calls of the embedded mode (the sandbox gateway, the recording notifier) answer without ever
suspending, and a timer for them was a tenth of a saga's cost. ``within`` therefore runs the call
up to its first suspension in the caller's task, as Python 3.12's eager tasks do: a call that
answers at once returns without a timer; one that suspends gets ``asyncio.timeout`` for the rest
of its run. The bound covers all the time the call spends waiting, since it cannot have waited
before its first suspension.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


async def within(seconds: float, call: Coroutine[Any, Any, T]) -> T:
    """Awaits ``call``; raises TimeoutError (and cancels it) after ``seconds`` of waiting."""
    try:
        yielded = call.send(None)
    except StopIteration as answered:
        result: T = answered.value
        return result
    async with asyncio.timeout(seconds):
        return await _Resumed(call, yielded)


class _Resumed(Generic[T]):
    """Awaiting it continues ``call`` from the point where it first suspended: it hands the
    awaitable that the call yielded to the task, then relays results, errors and cancellation
    between the task and the call, which is what ``await`` itself does."""

    __slots__ = ("_call", "_yielded")

    def __init__(self, call: Coroutine[Any, Any, T], yielded: Any) -> None:
        self._call = call
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, T]:
        call, to_task = self._call, self._yielded
        while True:
            try:
                from_task = yield to_task
            except GeneratorExit:
                call.close()
                raise
            except BaseException as error:  # cancellation (the time-out) reaches the call
                try:
                    to_task = call.throw(error)
                except StopIteration as answered:
                    result: T = answered.value
                    return result
            else:
                try:
                    to_task = call.send(from_task)
                except StopIteration as answered:
                    result = answered.value
                    return result
