"""How the unit of work's reads by key and its writes reach the database.

``CoreWriter`` issues SQLAlchemy Core statements (SQLite, and PostgreSQL when the fast path is not
available). ``AsyncpgWriter`` sends the same statements to asyncpg directly, on the connection and
inside the transaction SQLAlchemy opened, and queues the inserts to send them at commit as one
statement of data-modifying CTEs: a checkout then takes six round trips instead of eleven, and
none of Core's per-statement work. Guarded UPDATEs still run at once, since their row counts
decide the commit. Both translate failures into the domain's errors, so the unit of work cannot
tell them apart.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.errors import classify, translate

Figures = tuple[int, int, int]


class CoreWriter:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def fetch_by_keys(
        self, table: sa.Table, column: str, keys: Sequence[str], order_by: str | None = None
    ) -> list[Any]:
        """Rows whose ``column`` is one of ``keys``; each exposes ``_mapping``."""
        col = table.c[column]
        # One key (the common case) as an equality: an IN list is re-rendered every call.
        condition = col == keys[0] if len(keys) == 1 else col.in_(list(keys))
        query = sa.select(table).where(condition)
        if order_by is not None:
            query = query.order_by(table.c[order_by])
        return list((await self._conn.execute(query)).all())

    async def insert(self, table: sa.Table, values: Sequence[dict[str, Any]]) -> None:
        try:
            await self._conn.execute(
                _INSERTS[table.name], values[0] if len(values) == 1 else list(values)
            )
        except exc.DBAPIError as error:
            raise translate(error) from error

    async def update_versioned(
        self, table: sa.Table, key: str, loaded_version: int, values: dict[str, Any]
    ) -> bool:
        changes = {k: v for k, v in values.items() if k != key}
        try:
            result = await self._conn.execute(
                sa.update(table)
                .where(table.c[key] == values[key], table.c.version == loaded_version)
                .values(**changes, version=loaded_version + 1)
            )
        except exc.DBAPIError as error:
            raise translate(error) from error
        return bool(result.rowcount == 1)

    async def apply_stock(
        self, product_id: str, d_on_hand: int, d_reserved: int, threshold: int
    ) -> Figures | None:
        s = t.stock
        try:
            row = (await self._conn.execute(
                sa.update(s)
                .where(
                    s.c.product_id == product_id,
                    s.c.on_hand + d_on_hand - (s.c.reserved + d_reserved) >= 0,
                    s.c.reserved + d_reserved >= 0,
                )
                .values(
                    on_hand=s.c.on_hand + d_on_hand,
                    reserved=s.c.reserved + d_reserved,
                    low_stock_threshold=threshold,
                    version=s.c.version + 1,
                )
                .returning(s.c.on_hand, s.c.reserved, s.c.version)
            )).first()
        except exc.DBAPIError as error:
            raise translate(error) from error
        return None if row is None else (row[0], row[1], row[2])

    async def finish(self) -> None:
        """Everything was sent as it came."""


_INSERTS = {table.name: sa.insert(table) for table in t.metadata.tables.values()}


async def _uncancelled(step: Coroutine[Any, Any, None]) -> None:
    """Runs ``step`` to its end even when the caller is cancelled meanwhile (a consumer task
    whose AMQP channel closed), then lets the cancellation through.

    For the BEGIN: cancelled while it is on the wire, asyncpg counts itself in a transaction that
    SQLAlchemy's adapter never recorded, so no rollback ends it and the connection goes back to
    the pool inside it; every later transaction on it becomes a savepoint of one that never
    commits, and holds its row locks for ever."""
    task = asyncio.ensure_future(step)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                raise
            cancelled = True
    task.result()
    if cancelled:
        raise asyncio.CancelledError


class AsyncpgWriter:
    """The same statements as CoreWriter, as asyncpg calls on the raw connection."""

    _sql: dict[tuple[str, tuple[str, ...]], str] = {}  # statements by shape

    def __init__(self, driver: Any, adapted: Any) -> None:
        self._driver = driver
        self._adapted = adapted
        self._pending: list[tuple[sa.Table, Sequence[dict[str, Any]]]] = []

    @classmethod
    async def open(cls, conn: AsyncConnection) -> AsyncpgWriter | None:
        """The fast path on this connection, with SQLAlchemy's transaction begun; None when the
        driver is not the one this was written for."""
        raw = await conn.get_raw_connection()
        adapted = raw.dbapi_connection
        if not hasattr(adapted, "_start_transaction") or not hasattr(adapted, "_transaction"):
            return None
        writer = cls(raw.driver_connection, adapted)
        await writer._in_transaction()
        return writer

    async def _in_transaction(self) -> None:
        # SQLAlchemy's adapter opens its asyncpg transaction lazily, on its first statement; the
        # raw statements must never run outside it (after a commit, a new one is opened).
        if self._adapted._transaction is None:
            await _uncancelled(self._adapted._start_transaction())

    async def fetch_by_keys(
        self, table: sa.Table, column: str, keys: Sequence[str], order_by: str | None = None
    ) -> list[Any]:
        cache_key = (f"select:{table.name}:{column}:{order_by}:{len(keys) == 1}", ())
        sql = self._sql.get(cache_key)
        if sql is None:
            match = f"{column} = $1" if len(keys) == 1 else f"{column} = ANY($1::text[])"
            order = f" ORDER BY {order_by}" if order_by else ""
            sql = f"SELECT * FROM {table.name} WHERE {match}{order}"
            self._sql[cache_key] = sql
        records = await self._run("fetch", sql, keys[0] if len(keys) == 1 else list(keys))
        return [_Row(record) for record in records]

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        import asyncpg

        await self._in_transaction()
        try:
            return await getattr(self._driver, method)(sql, *args)
        except asyncpg.PostgresError as error:
            text = f"{error} {getattr(error, 'constraint_name', '') or ''}"
            integrity = isinstance(error, asyncpg.IntegrityConstraintViolationError)
            mapped = classify(text, getattr(error, "sqlstate", None), integrity=integrity)
            if mapped is None:
                raise
            raise mapped from error

    @staticmethod
    def _encode(table: sa.Table, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            json.dumps(v) if isinstance(table.c[k].type, sa.JSON) else v for k, v in row.items()
        )

    async def insert(self, table: sa.Table, values: Sequence[dict[str, Any]]) -> None:
        """Queued: ``finish`` sends every queued insert as one statement (one round trip)."""
        self._pending.append((table, values))

    async def finish(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        # One VALUES list per table and column set, rows in the order they came: CTEs run in no
        # defined order, and serial keys (outbox, orders) must follow the order of the writes.
        grouped: dict[tuple[str, tuple[str, ...]], tuple[sa.Table, list[dict[str, Any]]]] = {}
        for table, values in pending:
            for row in values:
                grouped.setdefault((table.name, tuple(row)), (table, []))[1].append(row)
        parts: list[str] = []
        args: list[Any] = []
        for n, ((_, columns), (table, group)) in enumerate(grouped.items()):
            tuples = []
            for row in group:
                encoded = self._encode(table, row)
                marks = ", ".join(f"${len(args) + i}" for i in range(1, len(encoded) + 1))
                args.extend(encoded)
                tuples.append(f"({marks})")
            parts.append(
                f"i{n} AS (INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES {', '.join(tuples)})"
            )
        # Data-modifying CTEs: all the inserts of the transaction in one statement.
        await self._run("execute", f"WITH {', '.join(parts)} SELECT 1", *args)

    async def update_versioned(
        self, table: sa.Table, key: str, loaded_version: int, values: dict[str, Any]
    ) -> bool:
        changes = {k: v for k, v in values.items() if k != key}
        columns = tuple(changes)
        cache_key = (f"update:{table.name}", columns)
        sql = self._sql.get(cache_key)
        if sql is None:
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=3))
            sql = (f"UPDATE {table.name} SET {sets}, version = $2 + 1 "
                   f"WHERE {key} = $1 AND version = $2")
            self._sql[cache_key] = sql
        status = await self._run(
            "execute", sql, values[key], loaded_version, *self._encode(table, changes)
        )
        return bool(status == "UPDATE 1")

    async def apply_stock(
        self, product_id: str, d_on_hand: int, d_reserved: int, threshold: int
    ) -> Figures | None:
        row = await self._run("fetchrow", _APPLY_STOCK, product_id, d_on_hand, d_reserved,
                              threshold)
        return None if row is None else (row[0], row[1], row[2])


class _Row:
    """An asyncpg record dressed as the SQLAlchemy row that rows.py reads (``row._mapping``)."""

    __slots__ = ("_mapping",)

    def __init__(self, record: Any) -> None:
        self._mapping = record


# The guarded reservation statement: the deltas apply only if the result keeps available >= 0.
_APPLY_STOCK = (
    "UPDATE stock SET on_hand = on_hand + $2, reserved = reserved + $3, "
    "low_stock_threshold = $4, version = version + 1 "
    "WHERE product_id = $1 AND on_hand + $2 - (reserved + $3) >= 0 AND reserved + $3 >= 0 "
    "RETURNING on_hand, reserved, version"
)
