"""The engine and its per-database behaviour.

SQLite: WAL (readers never block the writer), a busy timeout, foreign keys on, and every
transaction opened with BEGIN IMMEDIATE, so a transaction that reads and then writes takes the
write lock up front instead of failing to upgrade its read lock. Within one process the write lock
is also queued on an ``asyncio.Lock``: SQLite admits one writer at a time anyway, and a queue
avoids the busy handler's sleep-and-retry. Other processes (the CLI, a second worker) still
serialise on BEGIN IMMEDIATE and the busy timeout.

PostgreSQL: asyncpg with a fixed pool (``pool_size``, no overflow), READ COMMITTED; guarded
statements (``WHERE version = :v``, the conditional stock update) do the rest. A connection that
comes out of the pool still inside a transaction (a task cancelled while its BEGIN was on the wire
leaves asyncpg believing it is in one, and SQLAlchemy with nothing to roll back) is thrown away:
reused, every later transaction on it would be a savepoint of one that never commits, holding
its locks for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

DEFAULT_POOL_SIZE = 20
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE, echo: bool = False) -> None:
        self.url = sa.make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["pool_size"] = 5
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = 0
            kwargs["pool_timeout"] = 60
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock: asyncio.Lock | None = None
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        elif self.url.get_driver_name() == "asyncpg":
            _discard_connections_left_in_a_transaction(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on a clean exit, rolled back otherwise."""
        async with self.serialised(), self.engine.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def serialised(self) -> AsyncIterator[None]:
        """Queues SQLite writers of this process; a no-op on PostgreSQL."""
        if not self.is_sqlite:
            yield
            return
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            yield

    async def acquire_write_lock(self) -> bool:
        if not self.is_sqlite:
            return False
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        await self._write_lock.acquire()
        return True

    def release_write_lock(self) -> None:
        assert self._write_lock is not None
        self._write_lock.release()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _discard_connections_left_in_a_transaction(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is None:
            return
        if driver.is_in_transaction() or getattr(driver, "_top_xact", None) is not None:
            # The pool invalidates (closes) this connection and hands out another.
            raise sa.exc.DisconnectionError("pooled connection left inside a transaction")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver (its legacy mode starts transactions lazily, on DML
        # only); SQLAlchemy's "begin" event below emits it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
