"""aiormq cancels its consumer tasks when their channel closes (a broker restart, a lost
connection). The handler must not be cancelled with them: halfway through a unit of work, the
cancellation can leave a pooled database connection inside a transaction that never ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from aio_pika.exceptions import ChannelInvalidStateError

from adapters import wire
from adapters.rabbitmq.consumers import Consumers
from adapters.rabbitmq.topology import Topology
from commerce_core.ordering.events import OrderCancelled
from commerce_core.shared.events import Event


class _MessageOnAClosedChannel:
    def __init__(self, event: Event) -> None:
        self.body = wire.dumps(event)
        self.message_id = event.message_id
        self.headers: dict[str, Any] = {}
        self.ack_attempts = 0

    async def ack(self) -> None:
        self.ack_attempts += 1
        raise ChannelInvalidStateError("the channel closed")


async def test_a_handler_outlives_the_cancellation_of_its_consumer_task() -> None:
    consumers = Consumers(channel=None, topology=Topology("t"))  # type: ignore[arg-type]
    event = OrderCancelled(occurred_at=datetime.now(UTC), correlation_id="o1", order_id="o1",
                           user_id="u1", reason="x", previous_status="PENDING")
    started, release = asyncio.Event(), asyncio.Event()
    handled: list[Event] = []

    async def handler(received: Event) -> None:
        started.set()
        await release.wait()  # in the middle of its unit of work
        handled.append(received)

    message = _MessageOnAClosedChannel(event)
    consumer_task = asyncio.create_task(
        consumers._run_shielded(message, handler, "t.q.x")  # type: ignore[arg-type]
    )
    await started.wait()
    consumer_task.cancel()  # what aiormq does when the connection drops
    await asyncio.gather(consumer_task, return_exceptions=True)
    release.set()
    await consumers.stop(drain_timeout_s=5)  # waits for the handlers still running

    assert handled == [event]  # it finished its work
    assert message.ack_attempts == 1  # the ack is lost with the channel: the broker redelivers
