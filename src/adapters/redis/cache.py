"""The Cache port over Redis: cache-aside copies with a TTL, shared by every process.

Values are this program's own read models (products, search pages), pickled and signed with an
HMAC: a value that another writer of the same Redis put there, or that no longer unpickles (the
code changed), is a miss and never reaches pickle.
Keys live under a schema generation, so a release with other classes never reads older values.

``delete_prefix`` must not SCAN the whole database on every product change, so each key is also
recorded in a lexicographic index (a sorted set, all scores 0) and the prefix is a ZRANGEBYLEX.

A cache that does not answer is a miss, not an outage: reads fall through to the database. Only a
failed delete raises (BackendUnavailable), so the invalidating event is retried and no stale copy
outlives its TTL silently.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import pickle
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from adapters.redis.connection import ping, unavailable_as_transient

log = logging.getLogger(__name__)

GENERATION = "v1"
_MAC_SIZE = hashlib.sha256().digest_size


class RedisCache:
    def __init__(
        self, client: aioredis.Redis, *, signing_key: bytes, prefix: str = "commerce:"
    ) -> None:
        if len(signing_key) < 16:
            raise ValueError("the cache signing key needs at least 16 bytes")
        self._key = signing_key
        self._redis = client
        self._prefix = f"{prefix}cache:{GENERATION}:"
        self._index = f"{prefix}cache-index:{GENERATION}"

    async def get(self, key: str) -> Any | None:
        try:
            raw = await self._redis.get(self._prefix + key)
        except (RedisError, OSError) as error:
            log.warning("cache read failed, reading through: %s", error)
            return None
        if raw is None:
            return None
        raw = cast(bytes, raw)
        mac, payload = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
        if not hmac.compare_digest(mac, self._sign(payload)):
            log.warning("cache entry %s has a bad signature; ignored", key)
            return None
        try:
            return pickle.loads(payload)
        except Exception:
            return None

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    async def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        ttl_ms = max(1, math.ceil(ttl_s * 1000))
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                payload = pickle.dumps(value)
                pipe.set(self._prefix + key, self._sign(payload) + payload, px=ttl_ms)
                pipe.zadd(self._index, {key: 0})
                # The index outlives every key it lists.
                pipe.pexpire(self._index, ttl_ms, gt=True)
                pipe.pexpire(self._index, ttl_ms, nx=True)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("cache write skipped: %s", error)

    async def delete(self, key: str) -> None:
        with unavailable_as_transient():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.unlink(self._prefix + key)
                pipe.zrem(self._index, key)
                await pipe.execute()

    async def delete_prefix(self, prefix: str) -> None:
        low, high = f"[{prefix}".encode(), b"[" + prefix.encode() + b"\xff"
        with unavailable_as_transient():
            keys = cast(list[bytes], await self._redis.zrangebylex(self._index, low, high))
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.unlink(*(self._prefix.encode() + k for k in chunk))
                    pipe.zrem(self._index, *chunk)
                    await pipe.execute()

    async def ping(self) -> None:
        await ping(self._redis)
