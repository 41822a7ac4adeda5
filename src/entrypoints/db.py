"""Schema management for the SQL profile: ``commerce db upgrade`` and the check at start."""

from __future__ import annotations

import os

from adapters.sqlalchemy.database import DEFAULT_POOL_SIZE, Database
from adapters.sqlalchemy.migrate import (
    SchemaBehind,
    SchemaError,
    SchemaTooNew,
    ensure_schema,
    head_revision,
)
from adapters.sqlalchemy.migrate import upgrade as _upgrade
from entrypoints.settings import Settings, SettingsError

__all__ = [
    "SchemaBehind", "SchemaError", "SchemaTooNew", "check", "head_revision", "pool_size",
    "upgrade",
]


def pool_size(env: dict[str, str] | None = None) -> int:
    """COMMERCE_DATABASE_POOL_SIZE (PostgreSQL connections per process), 20 by default."""
    raw = (os.environ if env is None else env).get("COMMERCE_DATABASE_POOL_SIZE", "").strip()
    if not raw:
        return DEFAULT_POOL_SIZE
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"COMMERCE_DATABASE_POOL_SIZE must be a positive integer, not {raw!r}")
    return int(raw)


def _database(settings: Settings) -> Database:
    if settings.is_memory:
        raise SettingsError("COMMERCE_DATABASE_URL is memory://: there is no schema to migrate")
    return Database(settings.database_url, pool_size=1)


async def upgrade(settings: Settings) -> str:
    """Applies the migrations the database lacks; returns the revision it is at now.

    Raises SchemaTooNew when the database was migrated by a newer release.
    """
    database = _database(settings)
    try:
        return await _upgrade(database)
    finally:
        await database.dispose()


async def check(database: Database) -> str:
    """What the container runs at start (see sql_profile): refuses a schema newer than the
    code, migrates a new or older SQLite file and an empty PostgreSQL database, and refuses a
    PostgreSQL schema that is behind."""
    return await ensure_schema(database)
