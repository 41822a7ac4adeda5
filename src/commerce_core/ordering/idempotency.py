"""The Idempotency-Key store of POST /orders/checkout.

A key is scoped to its user. The first request claims it (in flight) with the fingerprint of its
body; a repeat with the same body gets the stored response once there is one, a repeat while the
first is in flight gets a conflict, and a repeat with another body is refused.

A claim is a lease: a process that dies after claiming leaves the key in flight with no one to
complete or release it, so once the lease has run out another request takes the claim over (as if
the key had been released). The lease must outlast any checkout (COMMERCE_CHECKOUT_WAIT_MS and
the placing of the order), or a slow first request and the retry that took over would both order.

Each claim carries an id its caller chose, and only that id completes or releases it: a request
whose claim was taken over while it still ran must not drop, nor overwrite, its successor's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from attrs import frozen

DEFAULT_CLAIM_LEASE = timedelta(seconds=60)


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
    claim_id: str | None = None  # the owner's; None on rows claimed before claims had ids

    @property
    def in_flight(self) -> bool:
        return self.response is None

    def abandoned(self, now: datetime, lease: timedelta) -> bool:
        """In flight for the whole lease: its request will never complete it."""
        return self.in_flight and now >= self.created_at + lease


class IdempotencyStore(Protocol):
    async def claim(
        self, user_id: str, key: str, fingerprint: str, now: datetime, *, claim_id: str
    ) -> IdempotencyRecord | None:
        """Claims the key atomically. None when this caller now owns it (the key was free, or
        its in-flight claim was older than the store's lease and is now this caller's, with
        this fingerprint, time and claim id); otherwise the record that was there first."""
        ...

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, *, claim_id: str
    ) -> bool:
        """Keeps the response of the in-flight claim ``claim_id``. False, changing nothing, when
        the key is not that claim's any more (taken over after its lease, or completed)."""
        ...

    async def release(self, user_id: str, key: str, *, claim_id: str) -> bool:
        """Drops the in-flight claim ``claim_id`` whose request failed before it had an answer
        to keep. False, changing nothing, when the key is not that claim's any more."""
        ...
