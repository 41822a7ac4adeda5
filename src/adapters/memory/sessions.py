"""In-memory refresh-token store and sliding-window rate limiter."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from datetime import datetime, timedelta

from attrs import evolve

from commerce_core.identity.sessions import RateDecision, RefreshRecord


class MemoryRefreshTokenStore:
    def __init__(self) -> None:
        self._records: dict[str, RefreshRecord] = {}
        self._families: defaultdict[str, set[str]] = defaultdict(set)

    async def add(self, record: RefreshRecord) -> None:
        self._records[record.token_hash] = record
        self._families[record.family_id].add(record.token_hash)

    async def spend(self, token_hash: str) -> RefreshRecord | None:
        record = self._records.get(token_hash)
        if record is not None and not record.spent:
            self._records[token_hash] = evolve(record, spent=True)
        return record

    async def revoke_family(self, family_id: str) -> None:
        for token_hash in self._families.get(family_id, ()):
            self._records[token_hash] = evolve(self._records[token_hash], revoked=True)


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._hits: defaultdict[str, deque[datetime]] = defaultdict(deque)

    async def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> RateDecision:
        hits = self._hits[key]
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            retry_after = (hits[0] + window - now).total_seconds()
            return RateDecision(False, max(1, math.ceil(retry_after)))
        hits.append(now)
        return RateDecision(True)

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)
