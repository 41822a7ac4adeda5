"""Idempotency keys of POST /orders/checkout: claimed atomically with INSERT ... ON CONFLICT DO
NOTHING, so of two racing first requests exactly one owns the key. An in-flight claim older than
the lease is taken over by one conditional UPDATE: of two racing takers the second finds the row
claimed afresh (PostgreSQL re-checks the condition on the row the first one wrote). Complete and
release are one conditional statement each on the claim's id, so a request whose claim was taken
over changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from commerce_core.ordering.idempotency import (
    DEFAULT_CLAIM_LEASE,
    IdempotencyRecord,
    StoredResponse,
)

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SqlIdempotencyStore:
    def __init__(self, database: Database, lease: timedelta = DEFAULT_CLAIM_LEASE) -> None:
        self._db = database
        self._insert = _INSERTS[database.dialect]
        self._lease = lease

    async def claim(
        self, user_id: str, key: str, fingerprint: str, now: datetime, *, claim_id: str
    ) -> IdempotencyRecord | None:
        k = t.idempotency_keys
        async with self._db.transaction() as conn:
            while True:
                inserted = await conn.execute(
                    self._insert(k)
                    .values(
                        user_id=user_id,
                        key=key,
                        fingerprint=fingerprint,
                        created_at=now,
                        claim_id=claim_id,
                    )
                    .on_conflict_do_nothing(index_elements=["user_id", "key"])
                    .returning(k.c.user_id)
                )
                if inserted.first() is not None:
                    return None
                taken_over = await conn.execute(
                    sa.update(k)
                    .where(
                        k.c.user_id == user_id,
                        k.c.key == key,
                        k.c.response_status.is_(None),
                        k.c.created_at <= now - self._lease,
                    )
                    .values(fingerprint=fingerprint, created_at=now, claim_id=claim_id)
                    .returning(k.c.user_id)
                )
                if taken_over.first() is not None:
                    return None
                row = (
                    await conn.execute(sa.select(k).where(k.c.user_id == user_id, k.c.key == key))
                ).first()
                if row is not None:  # else released in between: try to claim again
                    return _record(row)

    async def complete(
        self, user_id: str, key: str, response: StoredResponse, *, claim_id: str
    ) -> bool:
        k = t.idempotency_keys
        async with self._db.transaction() as conn:
            completed = await conn.execute(
                sa.update(k)
                .where(*self._owned(user_id, key, claim_id))
                .values(
                    response_status=response.status,
                    response_body=response.body,
                    response_location=response.location,
                )
                .returning(k.c.user_id)
            )
            return completed.first() is not None

    async def release(self, user_id: str, key: str, *, claim_id: str) -> bool:
        k = t.idempotency_keys
        async with self._db.transaction() as conn:
            released = await conn.execute(
                sa.delete(k).where(*self._owned(user_id, key, claim_id)).returning(k.c.user_id)
            )
            return released.first() is not None

    @staticmethod
    def _owned(user_id: str, key: str, claim_id: str) -> tuple[sa.ColumnElement[bool], ...]:
        """The key's row while it is still claim ``claim_id``'s and in flight."""
        k = t.idempotency_keys
        return (
            k.c.user_id == user_id,
            k.c.key == key,
            k.c.claim_id == claim_id,
            k.c.response_status.is_(None),
        )


def _record(row: sa.Row[object]) -> IdempotencyRecord:
    m = row._mapping
    response = None
    if m["response_status"] is not None:
        response = StoredResponse(
            m["response_status"], bytes(m["response_body"]), m["response_location"]
        )
    return IdempotencyRecord(
        m["user_id"], m["key"], m["fingerprint"], m["created_at"], response, m["claim_id"]
    )
