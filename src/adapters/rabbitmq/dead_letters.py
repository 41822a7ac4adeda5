"""The dead-letter queue: what it holds, and putting messages back on the queue they left.

Listing takes every message without acking and requeues them all at the end, so nothing leaves the
queue. Replay publishes a copy (with confirm) straight to the consumer queue it died in, via the
default exchange (the other consumers of that event handled it already), then acks the dead one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aiormq.exceptions import ChannelNotFoundEntity
from attrs import frozen
from pamqp.commands import Basic

from adapters.rabbitmq.topology import ATTEMPTS_HEADER, Topology

_DROPPED_HEADERS = {"x-death", "x-first-death-exchange", "x-first-death-queue",
                    "x-first-death-reason", "x-delivery-count", ATTEMPTS_HEADER,
                    "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"}


@frozen
class DeadLetter:
    message_id: str
    event: str
    queue: str  # the queue it died in
    reason: str
    count: int
    died_at: datetime | None


def _describe(message: AbstractIncomingMessage) -> DeadLetter:
    headers: dict[str, Any] = dict(message.headers or {})
    deaths = headers.get("x-death") or [{}]
    death = deaths[0] if isinstance(deaths, list | tuple) and deaths else {}
    queue = death.get("queue") or headers.get("x-first-death-queue") or ""
    reason = death.get("reason") or headers.get("x-first-death-reason") or ""
    died_at = death.get("time")
    return DeadLetter(
        message_id=message.message_id or "",
        event=message.type or "",
        queue=queue.decode() if isinstance(queue, bytes) else str(queue),
        reason=reason.decode() if isinstance(reason, bytes) else str(reason),
        count=int(death.get("count", 1)),
        died_at=died_at if isinstance(died_at, datetime) else None,
    )


class DeadLetters:
    def __init__(self, channel: AbstractChannel, topology: Topology) -> None:
        self._channel = channel
        self._topology = topology

    async def _take_all(self, limit: int) -> list[AbstractIncomingMessage]:
        if await self.count() == 0:
            return []
        queue = await self._channel.get_queue(self._topology.dead_letter_queue, ensure=False)
        taken: list[AbstractIncomingMessage] = []
        while len(taken) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            taken.append(message)
        return taken

    async def list(self, *, limit: int = 1000) -> builtins.list[DeadLetter]:
        taken = await self._take_all(limit)
        try:
            return [_describe(m) for m in taken]
        finally:
            for message in taken:
                await message.nack(requeue=True)

    async def replay(self, message_ids: Iterable[str] | None = None, *,
                     limit: int = 1000) -> builtins.list[DeadLetter]:
        """Puts back the given messages (all when None); returns what was replayed."""
        wanted = set(message_ids) if message_ids is not None else None
        taken = await self._take_all(limit)
        replayed: list[DeadLetter] = []
        try:
            for message in taken:
                letter = _describe(message)
                if wanted is not None and letter.message_id not in wanted:
                    continue
                if not letter.queue:
                    continue  # we cannot tell where it came from: leave it for a human
                headers = {k: v for k, v in (message.headers or {}).items()
                           if k not in _DROPPED_HEADERS}
                confirm = await self._channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        headers=headers,
                        message_id=message.message_id,
                        type=message.type,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=letter.queue,
                    mandatory=True,
                )
                if isinstance(confirm, Basic.Ack):
                    await message.ack()
                    replayed.append(letter)
        finally:
            for message in taken:
                if not message.processed:
                    await message.nack(requeue=True)
        return replayed

    async def count(self) -> int:
        # Asked of the protocol channel: a robust channel answers a passive declare from its cache.
        # A separate channel: a passive declare of a missing queue closes the channel it uses.
        channel = await self._channel.get_underlay_channel()
        probe = await channel.connection.channel()
        try:
            declared = await probe.queue_declare(self._topology.dead_letter_queue, passive=True)
        except ChannelNotFoundEntity:
            return 0  # no worker declared this prefix's topology yet: nothing died
        finally:
            if not probe.is_closed:
                await probe.close()
        return int(declared.message_count or 0)
