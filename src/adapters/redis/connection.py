"""One pool per process, and the translation of Redis failures into BackendUnavailable."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.backends import BackendUnavailable

BACKEND = "redis"


def create_redis(url: str, *, max_connections: int = 50, timeout_s: float = 2.0) -> aioredis.Redis:
    """A client over one bounded pool; share it (every adapter of the process takes this one)."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout_s,  # waiting for a free connection
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        health_check_interval=30,
    )
    return aioredis.Redis(connection_pool=pool)


@contextlib.asynccontextmanager
async def open_redis(url: str, **kwargs: float) -> AsyncIterator[aioredis.Redis]:
    """For a dependency-injector Resource: the client lives as long as the app."""
    client = create_redis(url, **kwargs)  # type: ignore[arg-type]
    try:
        yield client
    finally:
        await client.aclose()


@contextlib.contextmanager
def unavailable_as_transient() -> Iterator[None]:
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as error:
        raise BackendUnavailable(BACKEND, f"redis: {error}") from error


async def ping(client: aioredis.Redis) -> None:
    with unavailable_as_transient():
        await client.ping()
