"""Each customer's channel choice in SQL: one row per user, replaced whole by one upsert, so two
racing saves leave one of them intact, never a mix of both."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from commerce_core.notifications.model import Channel
from commerce_core.notifications.preferences import NotificationPreferences
from commerce_core.shared.ports import Clock

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SqlNotificationPreferencesRepository:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        self._insert = _INSERTS[database.dialect]

    async def get(self, user_id: str) -> NotificationPreferences | None:
        p = t.notification_preferences
        async with self._db.transaction() as conn:
            row = (await conn.execute(sa.select(p).where(p.c.user_id == user_id))).first()
        if row is None:
            return None
        m = row._mapping
        return NotificationPreferences(
            m["user_id"],
            frozenset(Channel(name) for name in m["channels"].split(",")),
            m["phone"],
            m["push_token"],
        )

    async def save(self, preferences: NotificationPreferences) -> None:
        p = t.notification_preferences
        values = {
            "channels": ",".join(preferences.ordered_channels),
            "phone": preferences.phone,
            "push_token": preferences.push_token,
            "updated_at": self._clock.now(),
        }
        async with self._db.transaction() as conn:
            await conn.execute(
                self._insert(p)
                .values(user_id=preferences.user_id, **values)
                .on_conflict_do_update(index_elements=["user_id"], set_=values)
            )
