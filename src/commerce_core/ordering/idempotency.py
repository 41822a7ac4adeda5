"""The Idempotency-Key store of POST /orders/checkout.

A key is scoped to its user. The first request claims it (in flight) with the fingerprint of its
body; a repeat with the same body gets the stored response once there is one, a repeat while the
first is in flight gets a conflict, and a repeat with another body is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from attrs import frozen


@frozen
class StoredResponse:
    status: int
    body: bytes
    location: str | None = None


@frozen
class IdempotencyRecord:
    user_id: str
    key: str
    fingerprint: str
    created_at: datetime
    response: StoredResponse | None = None  # None while the first request is in flight

    @property
    def in_flight(self) -> bool:
        return self.response is None


class IdempotencyStore(Protocol):
    async def claim(
        self, user_id: str, key: str, fingerprint: str, now: datetime
    ) -> IdempotencyRecord | None:
        """Claims the key atomically. None when this caller now owns it; otherwise the record
        that was there first."""
        ...

    async def complete(self, user_id: str, key: str, response: StoredResponse) -> None: ...

    async def release(self, user_id: str, key: str) -> None:
        """Drops an in-flight claim whose request failed before it had an answer to keep."""
        ...
