"""MessageBus.run_consumer: one named consumer, inbox-deduplicated, failures let out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from commerce_core.ordering.events import OrderShipped
from commerce_core.shared.messagebus import MessageBus, UnknownMessage
from commerce_core.shared.unit_of_work import UnitOfWork


async def count(event: OrderShipped, uow: UnitOfWork, seen: list[str]) -> None:
    async with uow:
        seen.append(event.order_id)
        await uow.commit()


async def explode(event: OrderShipped, uow: UnitOfWork, seen: list[str]) -> None:
    raise RuntimeError("boom")


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def bus(seen: list[str]) -> MessageBus:
    store = MemoryStore()
    return MessageBus(
        uow_factory=lambda: MemoryUnitOfWork(store),
        command_handlers={},
        event_handlers={OrderShipped: [count, explode]},
        dependencies={"seen": seen},
        dispatch_inline=False,
    )


def shipped() -> OrderShipped:
    return OrderShipped(occurred_at=datetime.now(UTC), correlation_id="o1", order_id="o1",
                        user_id="u1")


async def test_runs_only_the_named_consumer_and_once_per_message(
    bus: MessageBus, seen: list[str]
) -> None:
    event = shipped()
    [counter, _] = bus.handlers_of(OrderShipped)
    await bus.run_consumer(counter, event)
    await bus.run_consumer(counter, event)  # redelivered: the inbox has it
    assert seen == ["o1"]


async def test_a_failure_is_let_out_and_an_unknown_consumer_refused(bus: MessageBus) -> None:
    [_, exploder] = bus.handlers_of(OrderShipped)
    with pytest.raises(RuntimeError, match="boom"):
        await bus.run_consumer(exploder, shipped())
    with pytest.raises(UnknownMessage):
        await bus.run_consumer("nobody.at_all", shipped())
