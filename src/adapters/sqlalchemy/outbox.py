"""The relay's side of the transactional outbox (rows are written by the unit of work's commit).
Delivered rows are deleted, as the in-memory outbox drops them: the table holds the backlog only."""

from __future__ import annotations

import time

import sqlalchemy as sa

from adapters import wire
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from commerce_core.shared.events import Event


class SqlOutbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def pending(self, *, limit: int, min_age_s: float) -> list[Event]:
        o = t.outbox
        cutoff = time.time() - min_age_s
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.select(o.c.payload).where(o.c.written_at <= cutoff).order_by(o.c.seq)
                .limit(limit)
            )
            return [wire.loads(row.payload) for row in result]

    async def mark_delivered(self, message_ids: list[str]) -> None:
        if not message_ids:
            return
        async with self._db.transaction() as conn:
            await conn.execute(sa.delete(t.outbox).where(t.outbox.c.message_id.in_(message_ids)))

    async def backlog(self) -> int:
        async with self._db.transaction() as conn:
            count = await conn.execute(sa.select(sa.func.count()).select_from(t.outbox))
            return int(count.scalar_one())

    async def oldest_age_s(self) -> float:
        async with self._db.transaction() as conn:
            oldest = (await conn.execute(sa.select(sa.func.min(t.outbox.c.written_at)))).scalar()
        return 0.0 if oldest is None else max(0.0, time.time() - float(oldest))
