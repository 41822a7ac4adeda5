"""Pruning the inbox (rows are written by the unit of work's commit). One batch is one short
DELETE of the oldest rows' keys, so pruning never holds a long lock beside the consumers."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database


class SqlProcessedMessages:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def forget(self, now: datetime, keep: timedelta, *, limit: int) -> int:
        i = t.inbox
        # No index on processed_at: every handled message writes a row, one scan an interval
        # is cheaper than an index kept up on each of them.
        old = sa.select(i.c.consumer, i.c.message_id).where(i.c.processed_at < now - keep)
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.delete(i).where(sa.tuple_(i.c.consumer, i.c.message_id).in_(old.limit(limit)))
            )
        return int(result.rowcount)
