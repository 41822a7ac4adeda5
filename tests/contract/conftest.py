"""Every contract test runs on each storage backend: memory, SQLite (a temp file) and
PostgreSQL (a database created for this run, emptied before each test)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import asyncpg
import pytest

from entrypoints.settings import Settings
from integration.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    require_service,
    truncate_all,
)

BACKENDS = ["memory", "sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    require_service(postgres_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    name, url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> str:  # type: ignore[no-untyped-def]
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/commerce.db"
    url: str = request.getfixturevalue("postgres_url")
    with contextlib.suppress(asyncpg.UndefinedTableError):
        await truncate_all(url)  # nothing to empty before the first shop creates the schema
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, payment_timeout_s=0.05)
