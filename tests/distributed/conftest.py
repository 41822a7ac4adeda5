"""Real Redis and RabbitMQ for the distributed adapters; every run names its keys, exchanges and
queues with a random prefix and removes only what it made."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
import redis.asyncio as aioredis

from adapters.redis.connection import create_redis

REDIS_URL = os.environ.get("COMMERCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("COMMERCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

RUN_PREFIX = f"test-{uuid.uuid4().hex[:8]}"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, reason: str) -> None:
    """As tests/conftest.py: skip when a server is unreachable, fail in CI. (Repeated here
    because two rootless conftest modules cannot import each other.)"""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: integration tests must run)")
    pytest.skip(reason)


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = create_redis(REDIS_URL, timeout_s=1.0)
    try:
        await client.ping()
    except Exception as error:
        await client.aclose()
        require_service(False, f"Redis at {REDIS_URL} is not reachable: {error}")
    yield client
    await client.aclose()


@pytest.fixture
async def redis_prefix(redis_client: aioredis.Redis) -> AsyncIterator[str]:
    prefix = f"{RUN_PREFIX}:{uuid.uuid4().hex[:6]}:"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*", count=500)]
    if keys:
        await redis_client.delete(*keys)


@pytest.fixture
async def amqp_connection() -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    try:
        connection = await aio_pika.connect_robust(AMQP_URL, timeout=3)
    except Exception as error:
        require_service(False, f"RabbitMQ at {AMQP_URL} is not reachable: {error}")
    yield connection
    await connection.close()


@pytest.fixture
def amqp_prefix() -> str:
    return f"{RUN_PREFIX}.{uuid.uuid4().hex[:6]}"
