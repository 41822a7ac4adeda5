"""Exchanges and queues, declared idempotently by every process that starts.

- ``{prefix}.events``: a topic exchange; routing key = ``Event.routing_key()``.
- one durable queue per consumer (``{prefix}.q.{consumer}``), bound by the routing keys of the
  events it handles; a quorum queue with ``x-delivery-limit`` where the broker has them (3.8+),
  else a classic queue and the consumer counts attempts in a header.
- ``{prefix}.dead-letter``: where a queue sends what it gave up on (the delivery limit, a message
  that cannot be read); its one queue ``{prefix}.dead-letters`` is what ``commerce dlq`` reads.
- ``{prefix}.unrouted``: the events exchange's alternate exchange, so an event no one consumes
  yet is kept, not returned to the relay forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, ExchangeType

from commerce_core.events import ALL_EVENTS
from commerce_core.shared.messagebus import MessageBus

DEFAULT_PREFIX = "commerce"
DEFAULT_MAX_DELIVERIES = 10
ATTEMPTS_HEADER = "x-commerce-attempts"


def subscriptions(bus: MessageBus) -> dict[str, list[str]]:
    """The bus's consumers, each with the routing keys of the events it handles."""
    routes: dict[str, list[str]] = {}
    for event_type in ALL_EVENTS:
        for consumer in bus.handlers_of(event_type):
            routes.setdefault(consumer, []).append(event_type.routing_key())
    return routes


def supports_quorum(connection: AbstractConnection) -> bool:
    properties = connection.transport.connection.server_properties  # type: ignore[union-attr]
    version = properties.get("version", b"0")
    version = version.decode() if isinstance(version, bytes) else str(version)
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (3, 8)


class Topology:
    def __init__(
        self,
        prefix: str = DEFAULT_PREFIX,
        *,
        max_deliveries: int = DEFAULT_MAX_DELIVERIES,
        quorum: bool = True,
    ) -> None:
        self.prefix = prefix
        self.max_deliveries = max_deliveries
        self.quorum = quorum
        self.events_exchange = f"{prefix}.events"
        self.dead_letter_exchange = f"{prefix}.dead-letter"
        self.dead_letter_queue = f"{prefix}.dead-letters"
        self.unrouted_exchange = f"{prefix}.unrouted"
        self.unrouted_queue = f"{prefix}.unrouted"

    def queue_name(self, consumer: str) -> str:
        return f"{self.prefix}.q.{consumer}"

    def consumer_of(self, queue_name: str) -> str | None:
        head = f"{self.prefix}.q."
        return queue_name[len(head):] if queue_name.startswith(head) else None

    async def declare_exchanges(self, channel: AbstractChannel) -> AbstractExchange:
        unrouted = await channel.declare_exchange(
            self.unrouted_exchange, ExchangeType.FANOUT, durable=True
        )
        unrouted_queue = await channel.declare_queue(
            self.unrouted_queue,
            durable=True,
            arguments={"x-max-length": 100_000, "x-overflow": "drop-head"},
        )
        await unrouted_queue.bind(unrouted)
        dead = await channel.declare_exchange(
            self.dead_letter_exchange, ExchangeType.FANOUT, durable=True
        )
        dead_queue = await channel.declare_queue(self.dead_letter_queue, durable=True)
        await dead_queue.bind(dead)
        return await channel.declare_exchange(
            self.events_exchange,
            ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": self.unrouted_exchange},
        )

    async def declare_queue(
        self, channel: AbstractChannel, exchange: AbstractExchange, name: str,
        routing_keys: Iterable[str],
    ) -> aio_pika.abc.AbstractQueue:
        arguments: dict[str, object] = {"x-dead-letter-exchange": self.dead_letter_exchange}
        if self.quorum:
            arguments["x-queue-type"] = "quorum"
            # The limit counts redeliveries: the first delivery plus that many retries.
            arguments["x-delivery-limit"] = max(0, self.max_deliveries - 1)
        queue = await channel.declare_queue(name, durable=True, arguments=arguments)  # type: ignore[arg-type]
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        return queue

    async def declare(
        self, channel: AbstractChannel, routes: Mapping[str, Iterable[str]]
    ) -> dict[str, aio_pika.abc.AbstractQueue]:
        """Everything, and one queue per consumer of ``routes``; returns the queues by consumer."""
        exchange = await self.declare_exchanges(channel)
        return {
            consumer: await self.declare_queue(channel, exchange, self.queue_name(consumer), keys)
            for consumer, keys in routes.items()
        }

    async def delete(self, channel: AbstractChannel, queue_names: Iterable[str]) -> None:
        """Removes what ``declare`` made (tests; an operator retiring a prefix)."""
        for name in [*queue_names, self.dead_letter_queue, self.unrouted_queue]:
            await channel.queue_delete(name)
        for name in (self.events_exchange, self.dead_letter_exchange, self.unrouted_exchange):
            await channel.exchange_delete(name)
