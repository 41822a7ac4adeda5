"""Throw-away databases for the SQL tests: a SQLite file under tmp_path, or a PostgreSQL database
``commerce_test_<random>`` created for the test run and dropped at its end, so runs never meet."""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")

ADMIN_DSN = os.environ.get(
    "COMMERCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
KEEP_TABLES = {"alembic_version"}


def _root_conftest() -> Any:
    # tests/conftest.py cannot be imported by name from a nested conftest (they share the name).
    spec = importlib.util.spec_from_file_location(
        "commerce_tests_root_conftest", Path(__file__).parents[1] / "conftest.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


require_service = _root_conftest().require_service


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine to completion on a private loop in another thread (safe from fixtures)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(ADMIN_DSN, timeout=3)


def postgres_reachable() -> bool:
    async def probe() -> bool:
        try:
            conn = await _admin()
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return run_sync(probe)


def create_postgres_database() -> tuple[str, str]:
    """Returns (name, SQLAlchemy URL) of a new empty database."""
    name = f"commerce_test_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await _admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    run_sync(create)
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


def drop_postgres_database(name: str) -> None:
    async def drop() -> None:
        conn = await _admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    run_sync(drop)


async def truncate_all(url: str) -> None:
    """Empties every table of a migrated database (between tests sharing one database)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        names = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            if r["tablename"] not in KEEP_TABLES
        ]
        if names:
            await conn.execute(
                f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"
            )
    finally:
        await conn.close()
