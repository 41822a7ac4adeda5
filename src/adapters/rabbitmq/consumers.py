"""Consuming events: manual acks, a bounded prefetch, and one task per message.

A message is acked after its handler returns (the bus's inbox made a redelivery a no-op). A failed
handler is requeued after a delay that grows with its delivery count; past the bounded number of
deliveries the queue dead-letters it (quorum ``x-delivery-limit``; on a classic queue the consumer
counts in a header and rejects at the limit). A message that cannot be read, or names an event its
queue's consumer does not handle, is dead-lettered at once: retrying cannot help it.

A handler runs in a task of its own, shielded from the cancellation aiormq sends to its consumer
tasks when their channel closes (a broker restart, a lost connection). Cancelling a handler in the
middle of its unit of work (while BEGIN or COMMIT is on the wire) can leave the pooled database
connection inside a transaction that nothing will ever end: its later work is never committed and
its row locks are held for ever. So a handler always finishes; only its ack is lost with the
channel, and the broker's redelivery is a no-op thanks to the inbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from adapters import wire
from adapters.rabbitmq.topology import ATTEMPTS_HEADER, Topology
from commerce_core.shared.events import Event
from commerce_core.shared.messagebus import MessageBus, UnknownMessage

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[object]]


def bus_consumer(bus: MessageBus, consumer: str) -> EventHandler:
    async def run(event: Event) -> object:
        return await bus.run_consumer(consumer, event)

    return run


class Consumers:
    def __init__(
        self,
        channel: AbstractChannel,
        topology: Topology,
        *,
        retry_delay_s: float = 0.2,
        max_retry_delay_s: float = 10.0,
    ) -> None:
        self._channel = channel
        self._topology = topology
        self._retry_delay_s = retry_delay_s
        self._max_retry_delay_s = max_retry_delay_s
        self._tags: list[tuple[AbstractQueue, str]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self.handled = 0
        self.failures = 0

    async def start(self, queues: Mapping[str, AbstractQueue],
                    handlers: Mapping[str, EventHandler]) -> None:
        """Consumes ``queues[name]`` with ``handlers[name]`` for every name."""
        for name, queue in queues.items():
            handler = handlers[name]

            async def on_message(message: AbstractIncomingMessage, handler: EventHandler = handler,
                                 queue_name: str = queue.name) -> None:
                await self._run_shielded(message, handler, queue_name)

            self._tags.append((queue, await queue.consume(on_message, no_ack=False)))

    async def stop(self, drain_timeout_s: float = 30.0) -> None:
        """Stops consuming, then waits (a bounded time) for the handlers still running."""
        for queue, tag in self._tags:
            try:
                await queue.cancel(tag)
            except Exception as error:  # closing anyway
                log.debug("cancel %s: %s", tag, error)
        self._tags.clear()
        if self._in_flight:
            _done, pending = await asyncio.wait(set(self._in_flight), timeout=drain_timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run_shielded(self, message: AbstractIncomingMessage, handler: EventHandler,
                            queue_name: str) -> None:
        """Runs the handler in a task this class owns: aiormq cancels its consumer task (this
        coroutine) when the channel closes, and the shield keeps that from reaching the handler
        in the middle of a database transaction."""
        task = asyncio.create_task(self._handle(message, handler, queue_name),
                                   name=f"consume {queue_name}")
        self._in_flight.add(task)
        task.add_done_callback(self._finished)
        await asyncio.shield(task)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("consumer task %s failed", task.get_name(), exc_info=task.exception())

    def _attempts(self, message: AbstractIncomingMessage) -> int:
        headers = message.headers or {}
        count = headers.get("x-delivery-count") if self._topology.quorum else None
        if count is None:
            count = headers.get(ATTEMPTS_HEADER, 0)
        return count if isinstance(count, int) else int(str(count))

    async def _handle(self, message: AbstractIncomingMessage, handler: EventHandler,
                      queue_name: str) -> None:
        try:
            await self._handle_once(message, handler, queue_name)
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as error:
            # The channel closed under us (broker restart): the message was not acked, so the
            # broker delivers it again, and the inbox makes the second run a no-op.
            log.info("%s: could not settle %s: %r", queue_name, message.message_id, error)

    async def _handle_once(self, message: AbstractIncomingMessage, handler: EventHandler,
                           queue_name: str) -> None:
        try:
            event = wire.loads(message.body)
        except Exception as error:
            log.error("dead-lettering unreadable message %s on %s: %s",
                      message.message_id, queue_name, error)
            await message.reject(requeue=False)
            return
        try:
            await handler(event)
        except UnknownMessage as error:
            log.error("dead-lettering %s on %s: %s", event.message_id, queue_name, error)
            await message.reject(requeue=False)
            return
        except Exception as error:
            self.failures += 1
            await self._retry_later(message, queue_name, event, error)
            return
        self.handled += 1
        await message.ack()

    async def _retry_later(self, message: AbstractIncomingMessage, queue_name: str, event: Event,
                           error: Exception) -> None:
        attempts = self._attempts(message) + 1
        log.warning("%s failed on %s (delivery %d of %d): %s", queue_name, event.message_id,
                    attempts, self._topology.max_deliveries, error)
        if not self._topology.quorum and attempts >= self._topology.max_deliveries:
            await message.reject(requeue=False)
            return
        delay = min(self._retry_delay_s * 2 ** (attempts - 1), self._max_retry_delay_s)
        await asyncio.sleep(delay)
        if self._topology.quorum:
            await message.nack(requeue=True)  # the queue counts; past the limit it dead-letters
            return
        headers = dict(message.headers or {})
        headers[ATTEMPTS_HEADER] = attempts
        await self._channel.default_exchange.publish(
            aio_pika.Message(
                message.body,
                headers=headers,
                message_id=message.message_id,
                type=message.type,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=queue_name,
        )
        await message.ack()
