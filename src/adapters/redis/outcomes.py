"""Saga outcomes pushed to every API process over Redis pub/sub.

A worker consumes OrderConfirmed and OrderCancelled from the broker and publishes them on one
channel; each API process subscribes once and hands every outcome to an observer (the checkout's
``OrderOutcomes.observe``), exactly as ``MessageBus.observe`` does in the embedded mode. Pub/sub
keeps nothing: an outcome published while an API process is not subscribed is simply not pushed,
and that checkout answers 202 with a Location to poll, as it would past its wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from adapters import wire
from adapters.backends import BackendUnavailable
from adapters.redis.connection import unavailable_as_transient
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.shared.events import Event

log = logging.getLogger(__name__)

OUTCOME_EVENTS: tuple[type[Event], ...] = (OrderConfirmed, OrderCancelled)


def outcome_channel(prefix: str) -> str:
    return f"{prefix}order-outcomes"


class RedisOutcomePublisher:
    def __init__(self, client: aioredis.Redis, *, channel: str) -> None:
        self._redis = client
        self._channel = channel

    async def publish(self, event: Event) -> None:
        """Best effort: a push that cannot be made is logged, not retried (the API polls)."""
        try:
            with unavailable_as_transient():
                await self._redis.publish(self._channel, wire.dumps(event))
        except BackendUnavailable as error:
            log.warning("outcome of %s not pushed: %s", event.correlation_id, error)


class RedisOutcomeFeed:
    def __init__(
        self, client: aioredis.Redis, *, channel: str, reconnect_delay_s: float = 1.0
    ) -> None:
        self._redis = client
        self._channel = channel
        self._reconnect_delay_s = reconnect_delay_s
        self.subscribed = asyncio.Event()

    async def start(self, observer: Callable[[Event], None]) -> Callable[[], Awaitable[None]]:
        """Starts listening; returns the coroutine function that stops it."""
        task = asyncio.create_task(self._listen(observer), name="redis-outcome-feed")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        return stop

    async def _listen(self, observer: Callable[[Event], None]) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self.subscribed.set()
                    async for message in pubsub.listen():
                        self._deliver(message.get("data"), observer)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.subscribed.clear()
                log.warning("outcome feed lost Redis (%s); resubscribing", error)
                await asyncio.sleep(self._reconnect_delay_s)

    @staticmethod
    def _deliver(data: object, observer: Callable[[Event], None]) -> None:
        if not isinstance(data, bytes | str):
            return
        try:
            event = wire.loads(data)
        except Exception as error:
            log.warning("unreadable outcome ignored: %s", error)
            return
        observer(event)
