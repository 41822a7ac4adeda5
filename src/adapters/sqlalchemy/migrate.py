"""Alembic, driven from code: the scripts ship inside this package.

``ensure_schema`` is what a process runs at start: it refuses a database whose schema is newer
than the code, brings a SQLite file (the embedded mode) up to date itself, creates the schema in an
empty PostgreSQL database, and refuses a PostgreSQL schema that is behind (``commerce db upgrade``
is the deliberate step there, run once per deployment rather than by every replica at start).
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text

from adapters.sqlalchemy.database import Database

SCRIPT_LOCATION = "adapters.sqlalchemy:migrations"
# Any constant works; it only has to be the same in every process that migrates.
_PG_MIGRATION_LOCK = 0x636F6D6D


class SchemaError(RuntimeError):
    """The database's schema does not fit this code; the message says what to do."""


class SchemaTooNew(SchemaError):
    def __init__(self, database_revision: str, code_revision: str | None) -> None:
        super().__init__(
            f"the database schema is at revision {database_revision}, which this version of "
            f"commerce-core does not know (it knows up to {code_revision}); the database was "
            "migrated by a newer release: upgrade commerce-core, or point it at another database"
        )
        self.database_revision, self.code_revision = database_revision, code_revision


class SchemaBehind(SchemaError):
    def __init__(self, database_revision: str, code_revision: str | None) -> None:
        super().__init__(
            f"the database schema is at revision {database_revision}; this code needs "
            f"{code_revision}: run `commerce db upgrade`"
        )
        self.database_revision, self.code_revision = database_revision, code_revision


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _is_known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _upgrade(conn: Connection) -> str | None:
    if conn.dialect.name == "postgresql":
        # Replicas starting together: one migrates, the others wait and then find nothing to do.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    current = _current(conn)
    if current is not None and not _is_known(current):
        raise SchemaTooNew(current, head_revision())
    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
    return _current(conn)


async def current_revision(db: Database) -> str | None:
    async with db.transaction() as conn:
        return await conn.run_sync(_current)


async def upgrade(db: Database) -> str:
    """Applies every migration the database lacks; returns the revision it is at now."""
    async with db.transaction() as conn:
        revision = await conn.run_sync(_upgrade)
    return str(revision)


async def ensure_schema(db: Database) -> str:
    current = await current_revision(db)
    head = head_revision()
    if current == head:
        return str(current)
    if current is not None and not _is_known(current):
        raise SchemaTooNew(current, head)
    if db.is_sqlite or current is None:
        return await upgrade(db)
    raise SchemaBehind(current, head)


def describe(db: Database) -> dict[str, Any]:
    return {"url": db.url.render_as_string(hide_password=True), "head": head_revision()}
