"""A unit of work cancelled at any moment (aiormq cancels a consumer's task when the broker
connection drops) must not leave its pooled PostgreSQL connection inside a transaction.

Cancelled while the fast path's BEGIN was on the wire, asyncpg counted itself in a transaction
SQLAlchemy's adapter never recorded: nothing rolled it back, the connection went back to the pool
inside it, and every later unit of work on it ran as a savepoint of a transaction that never
committed, holding its row locks for ever (the multi-process test's broker outage found it).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.writers import AsyncpgWriter

pytestmark = pytest.mark.integration

TRIALS = 200


async def _left_in_a_transaction(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:  # no statement yet: SQLAlchemy has begun nothing
        driver: Any = (await conn.get_raw_connection()).driver_connection
        left = driver.is_in_transaction() or getattr(driver, "_top_xact", None) is not None
        if left:
            await conn.invalidate()
        return bool(left)


async def _cancelled_units_of_work(engine: AsyncEngine, begin: Any) -> int:
    """Runs the unit of work's steps (connect, begin, the fast path's first statement, rollback
    and close on the way out) TRIALS times, each cancelled at a random moment; returns how many
    times the next checkout got a connection still inside a transaction."""
    loop = asyncio.get_running_loop()
    left = 0
    for _ in range(TRIALS):
        async def unit_of_work() -> None:
            conn = await engine.connect()
            tx = await conn.begin()
            try:
                await begin(conn)
            finally:
                if tx.is_active:
                    await tx.rollback()
                await conn.close()

        task = asyncio.create_task(unit_of_work())
        loop.call_later(random.uniform(0, 0.003), task.cancel)
        await asyncio.gather(task, return_exceptions=True)
        left += await _left_in_a_transaction(engine)
    return left


async def test_the_fast_path_begin_finishes_even_when_its_task_is_cancelled(
    postgres_database: str,
) -> None:
    engine = create_async_engine(postgres_database, pool_size=1, max_overflow=0)  # no pool guard
    try:
        assert await _cancelled_units_of_work(engine, AsyncpgWriter.open) == 0
    finally:
        await engine.dispose()


async def test_the_pool_discards_a_connection_left_inside_a_transaction(
    postgres_database: str,
) -> None:
    async def raw_begin(conn: Any) -> None:  # the fast path as it was: cancellable mid-BEGIN
        adapted = (await conn.get_raw_connection()).dbapi_connection
        if adapted._transaction is None:
            await adapted._start_transaction()

    database = Database(postgres_database, pool_size=1)
    try:
        assert await _cancelled_units_of_work(database.engine, raw_begin) == 0
    finally:
        await database.dispose()
