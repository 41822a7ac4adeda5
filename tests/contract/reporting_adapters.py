"""The reporting adapters the contract suite runs on, by name: each factory opens a fresh, empty
``ReportingStore`` and ``EventJournal`` pair and closes it after the test.

Another adapter joins the suite with one entry in ``ADAPTERS`` (a warehouse adds its own factory
and skips with ``require_service`` when its server is away).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import attrs
import pytest

from adapters.memory.reporting import MemoryEventJournal, MemoryReportingStore
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.reporting import SqlEventJournal, SqlReportingStore
from commerce_core.reporting.ports import EventJournal, ReportingStore
from entrypoints import db
from entrypoints.settings import Settings
from integration.databases import require_service, truncate_all


@attrs.frozen
class Reporting:
    store: ReportingStore
    journal: EventJournal
    name: str


AdapterFactory = Callable[
    [pytest.FixtureRequest, Path], contextlib.AbstractAsyncContextManager[Reporting]
]


@contextlib.asynccontextmanager
async def _memory(_request: pytest.FixtureRequest, _tmp: Path) -> AsyncIterator[Reporting]:
    yield Reporting(MemoryReportingStore(), MemoryEventJournal(), "memory")


@contextlib.asynccontextmanager
async def _sql(url: str, name: str) -> AsyncIterator[Reporting]:
    await db.upgrade(Settings(database_url=url))
    database = Database(url)
    try:
        yield Reporting(SqlReportingStore(database), SqlEventJournal(database), name)
    finally:
        await database.dispose()


@contextlib.asynccontextmanager
async def _sqlite(_request: pytest.FixtureRequest, tmp: Path) -> AsyncIterator[Reporting]:
    async with _sql(f"sqlite+aiosqlite:///{tmp}/reporting.db", "sqlite") as reporting:
        yield reporting


@contextlib.asynccontextmanager
async def _postgresql(request: pytest.FixtureRequest, _tmp: Path) -> AsyncIterator[Reporting]:
    url: str = request.getfixturevalue("postgres_url")
    with contextlib.suppress(asyncpg.UndefinedTableError):
        await truncate_all(url)
    async with _sql(url, "postgresql") as reporting:
        yield reporting


@contextlib.asynccontextmanager
async def _clickhouse(_request: pytest.FixtureRequest, _tmp: Path) -> AsyncIterator[Reporting]:
    """The warehouse, in a database of its own on the server .ci/run starts; the journal is the
    in-memory one (the warehouse keeps none)."""
    from clickhouse_driver import Client
    from clickhouse_driver.errors import Error as ClickHouseError

    from adapters.clickhouse.connection import ClickHouse
    from adapters.clickhouse.reporting import ClickHouseReportingStore

    server = os.environ.get("COMMERCE_TEST_CLICKHOUSE_URL", "clickhouse://127.0.0.1:9000/default")
    admin = Client.from_url(server)
    try:
        admin.execute("SELECT 1")
    except (OSError, ClickHouseError):
        require_service(False, f"ClickHouse is not reachable at {server}")
    name = f"commerce_test_{secrets.token_hex(6)}"
    admin.execute(f"CREATE DATABASE {name}")
    connection = ClickHouse(f"{server.rsplit('/', 1)[0]}/{name}")
    try:
        yield Reporting(ClickHouseReportingStore(connection), MemoryEventJournal(), "clickhouse")
    finally:
        await connection.aclose()
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.disconnect()


ADAPTERS: dict[str, Any] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "postgresql": _postgresql,
    "clickhouse": _clickhouse,
}
