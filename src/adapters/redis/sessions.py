"""Refresh tokens and the login rate limiter in Redis.

A token is a hash keyed by its SHA-256 and expires with it; its family is a set of token hashes.
Spending is one Lua script (read the record, flag it spent, return it as it was), so of two racing
uses exactly one sees it unspent. The rate limiter keeps one sorted set of attempt times per key
and trims, counts and adds in one script: a sliding window with no read-then-write race.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from adapters.redis.connection import ping, unavailable_as_transient
from commerce_core.identity.sessions import RateDecision, RefreshRecord

_SPEND = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return nil end
redis.call('HSET', KEYS[1], 'spent', '1')
return fields
"""

_REVOKE_FAMILY = """
for _, token_key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. token_key) == 1 then
    redis.call('HSET', ARGV[1] .. token_key, 'revoked', '1')
  end
end
return 0
"""

# KEYS[1] the window; ARGV: now (microseconds), window (microseconds), limit, unique member.
_HIT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return {1, 0}
"""


def _micros(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


class RedisRefreshTokenStore:
    def __init__(self, client: aioredis.Redis, *, prefix: str = "commerce:") -> None:
        self._redis = client
        self._token_prefix = f"{prefix}refresh:"
        self._family_prefix = f"{prefix}refresh-family:"
        self._spend = client.register_script(_SPEND)
        self._revoke = client.register_script(_REVOKE_FAMILY)

    async def add(self, record: RefreshRecord) -> None:
        token_key = self._token_prefix + record.token_hash
        family_key = self._family_prefix + record.family_id
        expires_ms = _micros(record.expires_at) // 1000
        with unavailable_as_transient():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(token_key, mapping={
                    "user_id": record.user_id,
                    "family_id": record.family_id,
                    "expires_at": record.expires_at.isoformat(),
                    "spent": int(record.spent),
                    "revoked": int(record.revoked),
                })
                pipe.pexpireat(token_key, expires_ms)
                pipe.sadd(family_key, record.token_hash)
                # A family lives as long as its youngest token.
                pipe.pexpireat(family_key, expires_ms, gt=True)
                pipe.pexpireat(family_key, expires_ms, nx=True)
                await pipe.execute()

    async def spend(self, token_hash: str) -> RefreshRecord | None:
        with unavailable_as_transient():
            flat = await self._spend(keys=[self._token_prefix + token_hash])
        if not flat:
            return None
        fields = {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}
        return RefreshRecord(
            token_hash=token_hash,
            user_id=fields["user_id"],
            family_id=fields["family_id"],
            expires_at=datetime.fromisoformat(fields["expires_at"]),
            spent=fields["spent"] == "1",
            revoked=fields["revoked"] == "1",
        )

    async def revoke_family(self, family_id: str) -> None:
        with unavailable_as_transient():
            await self._revoke(
                keys=[self._family_prefix + family_id], args=[self._token_prefix]
            )

    async def ping(self) -> None:
        await ping(self._redis)


class RedisRateLimiter:
    def __init__(self, client: aioredis.Redis, *, prefix: str = "commerce:") -> None:
        self._redis = client
        self._prefix = f"{prefix}ratelimit:"
        self._hit = client.register_script(_HIT)

    async def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> RateDecision:
        now_us = _micros(now if now.tzinfo else now.replace(tzinfo=UTC))
        window_us = round(window.total_seconds() * 1_000_000)
        with unavailable_as_transient():
            allowed, oldest = await self._hit(
                keys=[self._prefix + key], args=[now_us, window_us, limit, uuid.uuid4().hex]
            )
        if allowed:
            return RateDecision(True)
        retry_after_s = (int(float(oldest)) + window_us - now_us) / 1_000_000
        return RateDecision(False, max(1, math.ceil(retry_after_s)))

    async def reset(self, key: str) -> None:
        with unavailable_as_transient():
            await self._redis.delete(self._prefix + key)

    async def ping(self) -> None:
        await ping(self._redis)
