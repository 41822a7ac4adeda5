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
        self, user_id: str, key: str, fingerprint: str, now: datetime, *, claim_id: str
    ) -> IdempotencyRecord | None:
        existing = self._records.get((user_id, key))
        if existing is not None and not existing.abandoned(now, self._lease):
            return existing
        self._records[(user_id, key)] = IdempotencyRecord(
            user_id, key, fingerprint, now, claim_id=claim_id
        )
        return None

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, *, claim_id: str
    ) -> bool:
        record = self._owned(user_id, key, claim_id)
        if record is None:
            return False
        self._records[(user_id, key)] = evolve(record, response=response)
        return True

    async def release(self, user_id: str, key: str, *, claim_id: str) -> bool:
        if self._owned(user_id, key, claim_id) is None:
            return False
        del self._records[(user_id, key)]
        return True

    def _owned(self, user_id: str, key: str, claim_id: str) -> IdempotencyRecord | None:
        """The key's record while it is still claim ``claim_id``'s and in flight."""
        record = self._records.get((user_id, key))
        if record is None or not record.in_flight or record.claim_id != claim_id:
            return None
        return record
