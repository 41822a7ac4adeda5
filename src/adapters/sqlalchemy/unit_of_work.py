"""The SQL unit of work: one connection and one transaction per ``async with``.

At commit every tracked aggregate that changed is written with a guarded statement: an UPDATE
``WHERE version = :loaded`` (0 rows: ConcurrencyConflict, the bus retries on fresh state), and for
stock ONE conditional UPDATE that applies the pending movement deltas only if the result keeps
``available >= 0`` and ``reserved >= 0`` (0 rows: InsufficientStock). The movements, the outbox rows
and the inbox row go into the same transaction. The semantics are the in-memory twin's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from adapters import wire
from adapters.sqlalchemy import rows
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.errors import translate
from adapters.sqlalchemy.repositories import (
    SqlNotificationRepository,
    SqlOrderRepository,
    SqlPaymentRepository,
    SqlProductRepository,
    SqlReservationRepository,
    SqlStockRepository,
    SqlUserRepository,
)
from commerce_core.catalog.model import Product
from commerce_core.identity.model import User
from commerce_core.inventory.model import Reservation, Stock
from commerce_core.notifications.model import Notification
from commerce_core.ordering.model import Order
from commerce_core.payments.model import Payment
from commerce_core.shared.errors import ConcurrencyConflict, InsufficientStock
from commerce_core.shared.events import Event
from commerce_core.shared.unit_of_work import AlreadyProcessed, UnitOfWorkBase

_VALUES = {
    User: rows.user_values,
    Product: rows.product_values,
    Reservation: rows.reservation_values,
    Order: rows.order_values,
    Payment: rows.payment_values,
    Notification: rows.notification_values,
}
_TABLES = {
    User: t.users,
    Product: t.products,
    Reservation: t.reservations,
    Order: t.orders,
    Payment: t.payments,
    Notification: t.notifications,
}
# Built once: the compiled form is cached, and nothing is rebuilt per row.
_INSERTS = {kind: sa.insert(table) for kind, table in _TABLES.items()}
_INSERT_LINES = sa.insert(t.order_lines)
_INSERT_MOVEMENTS = sa.insert(t.stock_movements)
_INSERT_OUTBOX = sa.insert(t.outbox)
_KEYS = {
    User: "id",
    Product: "id",
    Reservation: "order_id",
    Order: "id",
    Payment: "order_id",
    Notification: "id",
}


class _Tracked:
    __slots__ = ("aggregate", "is_new", "loaded_version", "snapshot")

    def __init__(self, aggregate: Any, *, is_new: bool) -> None:
        self.aggregate = aggregate
        self.is_new = is_new
        self.loaded_version: int = 0 if is_new else aggregate.version
        self.snapshot = None if is_new else self._state()

    def _state(self) -> dict[str, Any]:
        return {k: v for k, v in self.aggregate.__dict__.items() if k[0] != "_"}

    def is_dirty(self) -> bool:
        return self._state() != self.snapshot

    def committed(self) -> None:
        self.is_new = False
        self.loaded_version = self.aggregate.version
        self.snapshot = self._state()


class SqlUnitOfWork(UnitOfWorkBase):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self._db = database
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._locked = False
        self._tracked: dict[int, _Tracked] = {}
        self._versions: list[tuple[_Tracked, int]] = []
        self.users = SqlUserRepository(self)
        self.products = SqlProductRepository(self)
        self.stock = SqlStockRepository(self)
        self.reservations = SqlReservationRepository(self)
        self.orders = SqlOrderRepository(self)
        self.payments = SqlPaymentRepository(self)
        self.notifications = SqlNotificationRepository(self)
        self._repositories = (
            self.users, self.products, self.stock, self.reservations, self.orders,
            self.payments, self.notifications,
        )

    # -- for the repositories -----------------------------------------------------------------

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._conn

    def register(self, _table: str, aggregate: Any, *, is_new: bool) -> None:
        self._tracked[id(aggregate)] = _Tracked(aggregate, is_new=is_new)
        self.track(aggregate)

    # -- the storage steps ----------------------------------------------------------------------

    async def _begin(self) -> None:
        self._tracked, self._versions = {}, []
        for repository in self._repositories:
            repository.begin()
        self._locked = await self._db.acquire_write_lock()
        try:
            self._conn = await self._db.engine.connect()
            self._tx = await self._conn.begin()
        except BaseException:
            await self._close()
            raise

    async def _flush(self) -> None:
        conn = self.connection
        if conn.in_transaction():  # a second commit in one block runs in a new transaction
            self._tx = conn.get_transaction()
        else:
            self._tx = await conn.begin()
        stocks = sorted(
            (tr for tr in self._tracked.values() if isinstance(tr.aggregate, Stock)),
            key=lambda tr: tr.aggregate.product_id,  # one lock order: no deadlocks
        )
        others = [tr for tr in self._tracked.values() if not isinstance(tr.aggregate, Stock)]
        versions: list[tuple[_Tracked, int]] = []
        try:
            for tracked in stocks:
                await self._write_stock(conn, tracked)
            for tracked in others:
                if tracked.is_new:
                    await self._insert(conn, tracked.aggregate)
                    versions.append((tracked, 1))
                elif tracked.is_dirty():
                    await self._update(conn, tracked)
                    versions.append((tracked, tracked.loaded_version + 1))
        except exc.DBAPIError as error:
            raise translate(error) from error
        self._versions = versions

    async def _insert(self, conn: AsyncConnection, aggregate: Any) -> None:
        kind = type(aggregate)
        await conn.execute(_INSERTS[kind], {**_VALUES[kind](aggregate), "version": 1})
        if kind is Order:
            await conn.execute(_INSERT_LINES, rows.line_values(aggregate))

    async def _update(self, conn: AsyncConnection, tracked: _Tracked) -> None:
        aggregate = tracked.aggregate
        kind = type(aggregate)
        table, key = _TABLES[kind], _KEYS[kind]
        values = _VALUES[kind](aggregate)
        del values[key]
        result = await conn.execute(
            sa.update(table)
            .where(table.c[key] == getattr(aggregate, key),
                   table.c.version == tracked.loaded_version)
            .values(**values, version=tracked.loaded_version + 1)
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict(
                f"{table.name} {getattr(aggregate, key)} changed since it was read"
            )

    async def _write_stock(self, conn: AsyncConnection, tracked: _Tracked) -> None:
        stock: Stock = tracked.aggregate
        movements = stock.pending_movements
        d_on_hand = sum(m.delta_on_hand for m in movements)
        d_reserved = sum(m.delta_reserved for m in movements)
        if tracked.is_new:
            await conn.execute(sa.insert(t.stock).values(
                product_id=stock.product_id, on_hand=d_on_hand, reserved=d_reserved,
                low_stock_threshold=stock.low_stock_threshold, version=1,
            ))
            figures = (d_on_hand, d_reserved, 1)
        else:
            threshold_changed = stock.low_stock_threshold != tracked.snapshot["low_stock_threshold"]
            if not movements and not threshold_changed:
                return
            s = t.stock
            row = (await conn.execute(
                sa.update(s)
                .where(
                    s.c.product_id == stock.product_id,
                    s.c.on_hand + d_on_hand - (s.c.reserved + d_reserved) >= 0,
                    s.c.reserved + d_reserved >= 0,
                )
                .values(
                    on_hand=s.c.on_hand + d_on_hand,
                    reserved=s.c.reserved + d_reserved,
                    low_stock_threshold=stock.low_stock_threshold,
                    version=s.c.version + 1,
                )
                .returning(s.c.on_hand, s.c.reserved, s.c.version)
            )).first()
            if row is None:
                await self._refuse_stock(conn, stock, d_on_hand, d_reserved)
            figures = (row[0], row[1], row[2])
        if movements:
            values = [rows.movement_values(m) for m in movements]
            await conn.execute(_INSERT_MOVEMENTS, values[0] if len(values) == 1 else values)
        stock.stored_as(*figures)

    async def _refuse_stock(
        self, conn: AsyncConnection, stock: Stock, d_on_hand: int, d_reserved: int
    ) -> None:
        stored = (await conn.execute(
            sa.select(t.stock.c.on_hand, t.stock.c.reserved)
            .where(t.stock.c.product_id == stock.product_id)
        )).first()
        if stored is None:
            raise ConcurrencyConflict(f"stock {stock.product_id} vanished")
        on_hand, reserved = stored[0] + d_on_hand, stored[1] + d_reserved
        raise InsufficientStock(
            f"product {stock.product_id}: the change would leave {on_hand - reserved} available",
            product_id=stock.product_id,
            requested=-(d_on_hand - d_reserved),
            available=stored[0] - stored[1],
        )

    async def _write_outbox(self, events: list[Event]) -> None:
        now = time.time()
        await self.connection.execute(
            _INSERT_OUTBOX,
            [
                {"message_id": e.message_id, "name": e.event_name(),
                 "payload": wire.dumps(e), "written_at": now}
                for e in events
            ],
        )

    async def _inbox_contains(self, consumer: str, message_id: str) -> bool:
        i = t.inbox
        row = (await self.connection.execute(
            sa.select(sa.literal(1)).where(i.c.consumer == consumer, i.c.message_id == message_id)
        )).first()
        return row is not None

    async def _inbox_add(self, consumer: str, message_id: str) -> None:
        try:
            await self.connection.execute(sa.insert(t.inbox).values(
                consumer=consumer, message_id=message_id, processed_at=datetime.now(UTC)
            ))
        except exc.IntegrityError as error:
            raise AlreadyProcessed((consumer, message_id)) from error

    async def _commit(self) -> None:
        assert self._tx is not None
        try:
            await self._tx.commit()
        except exc.DBAPIError as error:
            raise translate(error) from error
        for tracked, version in self._versions:
            tracked.aggregate.version = version
        for tracked in self._tracked.values():
            if isinstance(tracked.aggregate, Stock):
                tracked.aggregate.take_movements()
            tracked.committed()
        self._versions = []

    async def _rollback(self) -> None:
        self._versions = []
        if self._tx is not None and self._tx.is_active:
            await self._tx.rollback()

    async def _close(self) -> None:
        try:
            if self._conn is not None:
                await self._conn.close()
        finally:
            self._conn = self._tx = None
            self._tracked = {}
            if self._locked:
                self._locked = False
                self._db.release_write_lock()
