"""Claims on the outbox for the relay (see relay.ClaimingOutbox).

``SqlOutboxClaims`` locks the oldest rows with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), publishes
the payloads as stored and deletes the confirmed rows in the same transaction, so two relays never
publish the same row and a relay killed mid-batch leaves its rows to the next (the lock dies with
its connection). On SQLite the transaction's write lock serialises relays instead.

``LockedOutbox`` serves any ``Outbox`` (memory) within one process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import sqlalchemy as sa
from attrs import define, field
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.rabbitmq.publisher import OutgoingMessage
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from commerce_core.shared.messagebus import Outbox


@define
class _SqlClaim:
    conn: AsyncConnection
    messages: list[OutgoingMessage]

    async def mark_delivered(self, message_ids: list[str]) -> None:
        await self.conn.execute(sa.delete(t.outbox).where(t.outbox.c.message_id.in_(message_ids)))


class SqlOutboxClaims:
    def __init__(self, database: Database) -> None:
        self._db = database

    @contextlib.asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[_SqlClaim]:
        o = t.outbox
        query = sa.select(o.c.message_id, o.c.name, o.c.payload).order_by(o.c.seq).limit(limit)
        if not self._db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self._db.transaction() as conn:
            rows = (await conn.execute(query)).all()
            yield _SqlClaim(conn, [OutgoingMessage(r.message_id, r.name, r.payload) for r in rows])

    async def backlog(self) -> int:
        async with self._db.transaction() as conn:
            count = await conn.execute(sa.select(sa.func.count()).select_from(t.outbox))
            return int(count.scalar_one())


@define
class _OutboxClaim:
    messages: list[OutgoingMessage]
    delivered: list[str] = field(factory=list)

    async def mark_delivered(self, message_ids: list[str]) -> None:
        self.delivered.extend(message_ids)


class LockedOutbox:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[_OutboxClaim]:
        async with self._lock:
            events = await self._outbox.pending(limit=limit, min_age_s=0)
            claim = _OutboxClaim([OutgoingMessage.of(e) for e in events])
            yield claim
            if claim.delivered:
                await self._outbox.mark_delivered(claim.delivered)

    async def backlog(self) -> int:
        return await self._outbox.backlog()
