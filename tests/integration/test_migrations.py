"""The shipped migrations build exactly the schema of tables.py, on both databases, and a process
refuses to run against a schema newer than its code."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.migrate import head_revision
from adapters.sqlalchemy.tables import metadata
from entrypoints import db
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    return str(request.getfixturevalue("postgres_database"))


def _differences(conn: sa.Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": False})
    return [d for d in compare_metadata(context, metadata) if not _ignorable(d)]


def _ignorable(difference: object) -> bool:
    # Tables other adapters create beside ours (search) are not this module's business.
    if not isinstance(difference, tuple):
        return False
    if difference[0] == "remove_table":
        return difference[1].name not in metadata.tables
    if difference[0] == "remove_index":
        return difference[1].table.name not in metadata.tables
    return False


async def test_upgrade_builds_the_schema_of_the_tables_module(database_url: str) -> None:
    assert await db.upgrade(Settings(database_url=database_url)) == head_revision()
    assert await db.upgrade(Settings(database_url=database_url)) == head_revision()  # idempotent
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await database.dispose()


async def test_the_embedded_shop_migrates_a_new_database_itself(database_url: str) -> None:
    container = build_container(Settings(database_url=database_url))
    async with open_shop(container=container) as shop:
        assert await shop.container.outbox().backlog() == 0


async def test_a_schema_newer_than_the_code_is_refused_with_both_revisions(
    database_url: str,
) -> None:
    await db.upgrade(Settings(database_url=database_url))
    database = Database(database_url)
    try:
        async with database.transaction() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        await database.dispose()
    container = build_container(Settings(database_url=database_url))
    with pytest.raises(db.SchemaTooNew) as refused:
        async with open_shop(container=container):
            pass
    message = str(refused.value)
    assert "9999_future" in message
    assert str(head_revision()) in message
    with pytest.raises(db.SchemaTooNew):
        await db.upgrade(Settings(database_url=database_url))
