"""Sticky writes in Redis: every API process sees the last write of every user.

One key per user holds the position as 16 hex digits, so Lua compares positions as strings and a
lower position never replaces a higher one (two API processes answering the same user at once).
The key expires with the window.
"""

from __future__ import annotations

import redis.asyncio as aioredis

_KEEP_HIGHEST = """
local held = redis.call('GET', KEYS[1])
if (not held) or held < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class RedisStickyWrites:
    def __init__(self, client: aioredis.Redis, *, window_s: float, prefix: str = "") -> None:
        self._client = client
        self.window_s = window_s
        self._prefix = f"{prefix}sticky:"
        self._keep_highest = client.register_script(_KEEP_HIGHEST)

    async def required(self, user_id: str) -> int:
        held = await self._client.get(self._prefix + user_id)
        return int(held, 16) if held else 0

    async def remember(self, user_id: str, lsn: int) -> None:
        await self._keep_highest(
            keys=[self._prefix + user_id], args=[f"{lsn:016x}", max(1, int(self.window_s * 1000))]
        )
