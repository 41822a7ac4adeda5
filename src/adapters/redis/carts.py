"""Carts in Redis: one hash per customer (product id -> quantity, plus the time of the last change).

A save replaces the hash in one MULTI/EXEC, so a reader never sees half a cart; a cart left alone
for 30 days expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import redis.asyncio as aioredis

from adapters.redis.connection import ping, unavailable_as_transient
from commerce_core.cart.model import Cart

IDLE_EXPIRY = timedelta(days=30)
_UPDATED_AT = "@updated_at"  # cannot clash with a product id field


class RedisCartRepository:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "commerce:",
        idle_expiry: timedelta = IDLE_EXPIRY,
    ) -> None:
        self._redis = client
        self._prefix = f"{prefix}cart:"
        self._ttl_s = int(idle_expiry.total_seconds())

    def _key(self, user_id: str) -> str:
        return self._prefix + user_id

    async def get(self, user_id: str) -> Cart:
        with unavailable_as_transient():
            fields = cast(dict[bytes, bytes], await self._redis.hgetall(self._key(user_id)))
        if not fields:
            return Cart(user_id)
        updated_raw = fields.pop(_UPDATED_AT.encode(), None)
        lines = {k.decode(): int(v) for k, v in fields.items()}
        updated_at = datetime.fromisoformat(updated_raw.decode()) if updated_raw else None
        return Cart(user_id, lines, updated_at)

    async def save(self, cart: Cart) -> None:
        key = self._key(cart.user_id)
        with unavailable_as_transient():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if cart.lines:
                    mapping: dict[str, str | int] = dict(cart.lines)
                    if cart.updated_at is not None:
                        mapping[_UPDATED_AT] = cart.updated_at.isoformat()
                    pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
                    pipe.expire(key, self._ttl_s)
                await pipe.execute()

    async def clear(self, user_id: str) -> None:
        with unavailable_as_transient():
            await self._redis.delete(self._key(user_id))

    async def ping(self) -> None:
        await ping(self._redis)
