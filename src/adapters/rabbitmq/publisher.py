"""Publishing outbox messages with publisher confirms, in batches.

A batch is published at once and its confirms awaited together (one round trip per batch, not per
message). Messages are persistent and ``mandatory``; only a Basic.Ack counts: a nack, a return, a
time-out or a closed channel leave the row in the outbox for the next attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange
from attrs import frozen
from pamqp.commands import Basic

from adapters import wire
from commerce_core.events import EVENTS_BY_NAME
from commerce_core.shared.events import Event

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 10.0


@frozen
class OutgoingMessage:
    """An outbox row as the relay sends it: the wire bytes are sent as stored."""

    message_id: str
    name: str
    body: bytes

    @classmethod
    def of(cls, event: Event) -> OutgoingMessage:
        return cls(event.message_id, event.event_name(), wire.dumps(event))


class ConfirmingPublisher:
    def __init__(self, channel: AbstractChannel, exchange: AbstractExchange) -> None:
        self._channel = channel
        self._exchange = exchange

    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> list[str]:
        """Publishes every message; returns the ids the broker confirmed."""
        if self._channel.is_closed:
            return []  # reconnecting: do not queue publishes on a channel that is gone
        # A bound on the whole batch: a confirm lost with its connection must not hold the
        # claimed rows (and their locks) for longer than this. The batch runs in a task of its
        # own that is cancelled on time-out, never the caller: a time-out that expires as the
        # batch completes must not leave a pending cancellation on the relay's task, to land
        # in the claim's DELETE or COMMIT (Python 3.11's asyncio.timeout can).
        batch = asyncio.ensure_future(
            asyncio.gather(*(self._publish(m) for m in messages), return_exceptions=True)
        )
        done, _ = await asyncio.wait({batch}, timeout=CONFIRM_TIMEOUT_S)
        if not done:
            batch.cancel()
            await asyncio.gather(batch, return_exceptions=True)
            log.warning("no confirms for a batch of %d within %.0f s", len(messages),
                        CONFIRM_TIMEOUT_S)
            return []
        results = batch.result()
        confirmed = []
        for message, result in zip(messages, results, strict=True):
            if isinstance(result, Basic.Ack):
                confirmed.append(message.message_id)
            else:
                log.debug("%s not confirmed: %r", message.message_id, result)
        return confirmed

    async def _publish(self, message: OutgoingMessage) -> object:
        event_type = EVENTS_BY_NAME[message.name]
        return await self._exchange.publish(
            aio_pika.Message(
                message.body,
                message_id=message.message_id,
                type=message.name,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                timestamp=datetime.now(UTC),
                headers={"version": event_type.version},
            ),
            routing_key=event_type.routing_key(),
            mandatory=True,
        )
