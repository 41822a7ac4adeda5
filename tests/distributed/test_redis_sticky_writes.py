"""Sticky writes in Redis behave as the in-process map, and every API process shares them."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from adapters.redis.sticky import RedisStickyWrites
from adapters.sqlalchemy.consistency import PRIMARY_ONLY, MemoryStickyWrites


async def test_redis_sticky_writes_keep_the_highest_position_for_their_window(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    for sticky in (
        RedisStickyWrites(redis_client, window_s=0.2, prefix=redis_prefix),
        MemoryStickyWrites(window_s=0.2),
    ):
        assert await sticky.required("ana") == 0
        await sticky.remember("ana", 0x1_0000_0200)
        await sticky.remember("ana", 0x100)  # a slower process answering an older write
        assert await sticky.required("ana") == 0x1_0000_0200
        await sticky.remember("ana", PRIMARY_ONLY)
        assert await sticky.required("ana") == PRIMARY_ONLY
        assert await sticky.required("bob") == 0
        await asyncio.sleep(0.25)
        assert await sticky.required("ana") == 0


async def test_every_api_process_sees_a_users_last_write(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    one = RedisStickyWrites(redis_client, window_s=5, prefix=redis_prefix)
    other = RedisStickyWrites(redis_client, window_s=5, prefix=redis_prefix)
    await one.remember("ana", 0x3A8C1F0)
    assert await other.required("ana") == 0x3A8C1F0
