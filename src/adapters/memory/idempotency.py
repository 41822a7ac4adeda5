from __future__ import annotations

from datetime import datetime, timedelta

from attrs import evolve

from commerce_core.ordering.idempotency import (
    DEFAULT_CLAIM_LEASE,
    IdempotencyRecord,
    StoredResponse,
)


class MemoryIdempotencyStore:
    def __init__(self, lease: timedelta = DEFAULT_CLAIM_LEASE) -> None:
        self._records: dict[tuple[str, str], IdempotencyRecord] = {}
        self._lease = lease

    async def claim(
        self, user_id: str, key: str, fingerprint: str, now: datetime
    ) -> IdempotencyRecord | None:
        existing = self._records.get((user_id, key))
        if existing is not None and not existing.abandoned(now, self._lease):
            return existing
        self._records[(user_id, key)] = IdempotencyRecord(user_id, key, fingerprint, now)
        return None

    async def complete(self, user_id: str, key: str, response: StoredResponse) -> None:
        record = self._records.get((user_id, key))
        if record is not None:
            self._records[(user_id, key)] = evolve(record, response=response)

    async def release(self, user_id: str, key: str) -> None:
        record = self._records.get((user_id, key))
        if record is not None and record.in_flight:
            del self._records[(user_id, key)]
