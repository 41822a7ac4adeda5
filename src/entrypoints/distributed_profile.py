"""The distributed profile: Redis and RabbitMQ swapped in by name when their URLs are set.

``use_redis`` moves carts, refresh tokens, login rate limits, the cache and (with read replicas)
the sticky writers to Redis (one client and pool per process, closed by ``shutdown_resources``)
and provides the outcome feed for the API.
``use_rabbitmq`` turns inline dispatch off: events wait in the outbox for a worker's relay, and
``commerce worker`` consumes them. ``backend_checks`` gives /ready one probe per backend.

redis and aio-pika are optional extras: they are imported only where a URL asks for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from dependency_injector import providers

from commerce_core.shared.events import Event
from entrypoints.distributed_settings import DistributedSettings
from entrypoints.settings import Settings

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from aio_pika.abc import AbstractRobustConnection


async def _redis_lifetime(client: aioredis.Redis) -> AsyncIterator[aioredis.Redis]:
    try:
        yield client
    finally:
        await client.aclose()


class AmqpProbe:
    """A connection opened on first use (an API must start while the broker is away)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: AbstractRobustConnection | None = None

    async def ping(self) -> None:
        from adapters.backends import BackendUnavailable
        from adapters.rabbitmq.connection import connect
        from adapters.rabbitmq.connection import ping as amqp_ping

        if self._connection is None:
            try:
                self._connection = await connect(self._url, name="commerce-api-probe")
            except Exception as error:
                raise BackendUnavailable("rabbitmq", f"rabbitmq: {error}") from error
        await amqp_ping(self._connection)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


async def _probe_lifetime(probe: AmqpProbe) -> AsyncIterator[AmqpProbe]:
    try:
        yield probe
    finally:
        await probe.close()


def use_redis(container: Any, settings: Settings) -> None:
    from adapters.redis.cache import RedisCache
    from adapters.redis.carts import RedisCartRepository
    from adapters.redis.connection import create_redis
    from adapters.redis.outcomes import RedisOutcomeFeed, RedisOutcomePublisher, outcome_channel
    from adapters.redis.sessions import RedisRateLimiter, RedisRefreshTokenStore

    assert settings.redis_url
    prefix = DistributedSettings.from_env().redis_prefix
    client = providers.Singleton(create_redis, settings.redis_url)
    container.redis = client
    container.redis_lifetime = providers.Resource(_redis_lifetime, client)
    container.carts.override(providers.Singleton(RedisCartRepository, client, prefix=prefix))
    container.refresh_tokens.override(
        providers.Singleton(RedisRefreshTokenStore, client, prefix=prefix)
    )
    container.rate_limiter.override(providers.Singleton(RedisRateLimiter, client, prefix=prefix))
    signing_key = providers.Callable(
        lambda secret: hashlib.sha256(b"commerce-cache:" + secret.encode()).digest(),
        container.jwt_secret,
    )
    container.cache.override(
        providers.Singleton(RedisCache, client, signing_key=signing_key, prefix=prefix)
    )
    channel = outcome_channel(prefix)
    container.outcome_feed = providers.Singleton(RedisOutcomeFeed, client, channel=channel)
    container.outcome_publisher = providers.Singleton(
        RedisOutcomePublisher, client, channel=channel
    )
    if "sticky_writes" in container.providers:  # read replicas: every API knows each writer
        from adapters.redis.sticky import RedisStickyWrites
        from entrypoints.replica_profile import sticky_window_s

        container.sticky_writes.override(providers.Singleton(
            RedisStickyWrites, client, window_s=sticky_window_s(settings), prefix=prefix
        ))


def use_rabbitmq(container: Any, settings: Settings) -> None:
    assert settings.amqp_url
    container.bus.add_kwargs(dispatch_inline=False)
    probe = providers.Singleton(AmqpProbe, settings.amqp_url)
    container.amqp_probe = probe
    container.amqp_probe_lifetime = providers.Resource(_probe_lifetime, probe)


def backend_checks(container: Any) -> dict[str, Callable[[], Awaitable[None]]]:
    """One cheap probe per configured networked backend, by name; each raises when it is down."""
    checks: dict[str, Callable[[], Awaitable[None]]] = {}
    names = container.providers
    if "redis" in names:
        from adapters.redis.connection import ping as redis_ping

        checks["redis"] = lambda: redis_ping(container.redis())
    if "amqp_probe" in names:
        checks["rabbitmq"] = container.amqp_probe().ping
    return checks


async def start_outcome_feed(
    container: Any, observer: Callable[[Event], None]
) -> Callable[[], Awaitable[None]]:
    """Feeds ``observer`` (the checkout's ``OrderOutcomes.observe``) with the outcomes workers
    push over Redis; returns the stop. A no-op where no Redis is configured (the embedded bus
    calls the observer itself)."""
    if "outcome_feed" not in container.providers:

        async def nothing_to_stop() -> None:
            return None

        return nothing_to_stop
    stop: Callable[[], Awaitable[None]] = await container.outcome_feed().start(observer)
    return stop
