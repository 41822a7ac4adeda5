"""Refresh tokens, stored hashed. ``spend`` is one conditional UPDATE: of two racing uses of a
token exactly one flips ``spent`` and sees it unspent."""

from __future__ import annotations

import sqlalchemy as sa

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from commerce_core.identity.sessions import RefreshRecord


class SqlRefreshTokenStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, record: RefreshRecord) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(sa.insert(t.refresh_tokens).values(
                token_hash=record.token_hash, user_id=record.user_id, family_id=record.family_id,
                expires_at=record.expires_at, spent=record.spent, revoked=record.revoked,
            ))

    async def spend(self, token_hash: str) -> RefreshRecord | None:
        r = t.refresh_tokens
        async with self._db.transaction() as conn:
            won = (await conn.execute(
                sa.update(r).where(r.c.token_hash == token_hash, r.c.spent.is_(False))
                .values(spent=True).returning(r)
            )).first()
            if won is not None:
                return _record(won, spent=False)  # as it was before this call
            row = (await conn.execute(sa.select(r).where(r.c.token_hash == token_hash))).first()
            return None if row is None else _record(row, spent=True)

    async def revoke_family(self, family_id: str) -> None:
        r = t.refresh_tokens
        async with self._db.transaction() as conn:
            await conn.execute(sa.update(r).where(r.c.family_id == family_id).values(revoked=True))


def _record(row: sa.Row[object], *, spent: bool) -> RefreshRecord:
    m = row._mapping
    return RefreshRecord(m["token_hash"], m["user_id"], m["family_id"], m["expires_at"],
                         spent=spent, revoked=bool(m["revoked"]))
