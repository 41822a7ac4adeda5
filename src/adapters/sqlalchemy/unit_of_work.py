"""The SQL unit of work: one connection and one transaction per ``async with``.

At commit every tracked aggregate that changed is written with a guarded statement: an UPDATE
``WHERE version = :loaded`` (0 rows: ConcurrencyConflict, the bus retries on fresh state), and for
stock ONE conditional UPDATE that applies the pending movement deltas only if the result keeps
``available >= 0`` and ``reserved >= 0`` (0 rows: InsufficientStock). The movements, the outbox rows
and the inbox row go into the same transaction. The semantics are the in-memory twin's.

With a read router (COMMERCE_DATABASE_REPLICA_URLS), a block opened while serving a
replica-tolerant HTTP read may run on a replica instead; a replica that fails mid-read raises
TransientError, so the bus runs the handler again and the router sends it to the primary. Such a
block never writes: its commit sends the retry to the primary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from adapters import wire
from adapters.sqlalchemy import rows
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.errors import DuplicateInboxRow, translate
from adapters.sqlalchemy.replicas import ReadRouter, Replica, is_database_failure
from adapters.sqlalchemy.repositories import (
    SqlNotificationRepository,
    SqlOrderRepository,
    SqlPaymentRepository,
    SqlProductRepository,
    SqlReservationRepository,
    SqlStockRepository,
    SqlUserRepository,
)
from adapters.sqlalchemy.returns import SqlReturnRepository, return_values
from adapters.sqlalchemy.suppliers import SqlSupplierReceiptRepository, SqlSupplierRepository
from adapters.sqlalchemy.writers import AsyncpgWriter, CoreWriter
from commerce_core.catalog.model import Product
from commerce_core.identity.model import User
from commerce_core.inventory.model import Reservation, Stock
from commerce_core.inventory.suppliers import Supplier, SupplierReceipt
from commerce_core.notifications.model import Notification
from commerce_core.ordering.model import Order
from commerce_core.ordering.returns import ReturnRequest
from commerce_core.payments.model import Payment
from commerce_core.shared.errors import ConcurrencyConflict, InsufficientStock, TransientError
from commerce_core.shared.events import Event
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import AlreadyProcessed, UnitOfWorkBase

_VALUES: dict[type, Callable[[Any], dict[str, Any]]] = {
    User: rows.user_values,
    Product: rows.product_values,
    Reservation: rows.reservation_values,
    Order: rows.order_values,
    Payment: rows.payment_values,
    Notification: rows.notification_values,
    Supplier: rows.supplier_values,
    SupplierReceipt: rows.receipt_values,
    ReturnRequest: return_values,
}
_TABLES = {
    User: t.users,
    Product: t.products,
    Reservation: t.reservations,
    Order: t.orders,
    Payment: t.payments,
    Notification: t.notifications,
    Supplier: t.suppliers,
    SupplierReceipt: t.supplier_receipts,
    ReturnRequest: t.returns,
}
_KEYS = {
    User: "id",
    Product: "id",
    Reservation: "order_id",
    Order: "id",
    Payment: "order_id",
    Notification: "id",
    Supplier: "id",
    SupplierReceipt: "id",
    ReturnRequest: "id",
}


Writer = CoreWriter | AsyncpgWriter


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
    def __init__(
        self, database: Database, router: ReadRouter | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__()
        self._db = database
        self._clock = clock  # dates inbox rows for their pruning; None: the system's time
        self._router = router
        self._replica: Replica | None = None  # the replica this block reads, None: the primary
        self._primary_only = False
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._locked = False
        self._writer: Writer | None = None
        self._tracked: dict[int, _Tracked] = {}
        self._versions: list[tuple[_Tracked, int]] = []
        self.users = SqlUserRepository(self)
        self.products = SqlProductRepository(self)
        self.stock = SqlStockRepository(self)
        self.reservations = SqlReservationRepository(self)
        self.orders = SqlOrderRepository(self)
        self.payments = SqlPaymentRepository(self)
        self.notifications = SqlNotificationRepository(self)
        self.suppliers = SqlSupplierRepository(self)
        self.supplier_receipts = SqlSupplierReceiptRepository(self)
        self.returns = SqlReturnRepository(self)
        self._repositories = (
            self.users, self.products, self.stock, self.reservations, self.orders,
            self.payments, self.notifications, self.suppliers, self.supplier_receipts,
            self.returns,
        )

    # -- for the repositories -----------------------------------------------------------------

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._conn

    async def fetch_by_keys(
        self, table: sa.Table, column: str, keys: Sequence[str], order_by: str | None = None
    ) -> list[Any]:
        writer = await self._open_writer(self.connection)
        return await writer.fetch_by_keys(table, column, keys, order_by)

    def register(self, _table: str, aggregate: Any, *, is_new: bool) -> None:
        self._tracked[id(aggregate)] = _Tracked(aggregate, is_new=is_new)
        self.track(aggregate)

    # -- the storage steps ----------------------------------------------------------------------

    async def _begin(self) -> None:
        self._tracked, self._versions = {}, []
        for repository in self._repositories:
            repository.begin()
        self._locked = await self._db.acquire_write_lock()
        self._replica = None
        try:
            if self._router is not None and not self._primary_only:
                self._replica = await self._router.route()
            if self._replica is not None:
                await self._connect_replica(self._replica)
            if self._conn is None:
                self._conn = await self._db.engine.connect()
            self._tx = await self._conn.begin()
        except BaseException:
            await self._close()
            raise

    async def _connect_replica(self, replica: Replica) -> None:
        assert self._router is not None
        try:
            self._conn = await replica.engine.connect()
        except Exception as error:
            if not is_database_failure(error):
                raise
            await self._router.failed(replica, error)
            self._replica = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        replica, self._replica = self._replica, None
        if replica is None:
            await super().__aexit__(exc_type, exc, tb)
            return
        assert self._router is not None
        failure = exc if exc is not None and is_database_failure(exc) else None
        try:
            await super().__aexit__(exc_type, exc, tb)
        except Exception as error:
            if not is_database_failure(error):
                raise
            # Ending a read-only transaction on a replica that just went away: what the block
            # read stands, and the replica is out of the rotation.
            failure = failure or error
        if failure is not None:
            await self._router.failed(replica, failure)
        if exc is not None and is_database_failure(exc):
            raise TransientError(f"read replica {replica.name} failed: {exc}") from exc

    async def commit(self, *, completes_message: bool = True) -> None:
        if self._replica is not None:
            # A handler wrote in an operation declared read-only: run it again on the primary.
            self._primary_only = True
            raise TransientError("a unit of work reading a replica cannot commit")
        await super().commit(completes_message=completes_message)

    async def _flush(self) -> None:
        conn = self.connection
        if conn.in_transaction():  # a second commit in one block runs in a new transaction
            self._tx = conn.get_transaction()
        else:
            self._tx = await conn.begin()
        writer = await self._open_writer(conn)
        stocks = sorted(
            (tr for tr in self._tracked.values() if isinstance(tr.aggregate, Stock)),
            key=lambda tr: tr.aggregate.product_id,  # one lock order: no deadlocks
        )
        others = [tr for tr in self._tracked.values() if not isinstance(tr.aggregate, Stock)]
        versions: list[tuple[_Tracked, int]] = []
        for tracked in stocks:
            await self._write_stock(writer, tracked)
        for tracked in others:
            aggregate = tracked.aggregate
            kind = type(aggregate)
            if tracked.is_new:
                await writer.insert(_TABLES[kind], [{**_VALUES[kind](aggregate), "version": 1}])
                if kind is Order:
                    await writer.insert(t.order_lines, rows.line_values(aggregate))
                versions.append((tracked, 1))
            elif tracked.is_dirty():
                table, key = _TABLES[kind], _KEYS[kind]
                if not await writer.update_versioned(
                    table, key, tracked.loaded_version, _VALUES[kind](aggregate)
                ):
                    raise ConcurrencyConflict(
                        f"{table.name} {getattr(aggregate, key)} changed since it was read"
                    )
                versions.append((tracked, tracked.loaded_version + 1))
        self._versions = versions

    async def _open_writer(self, conn: AsyncConnection) -> Writer:
        if self._writer is None:
            fast = await AsyncpgWriter.open(conn) if self._db.dialect == "postgresql" else None
            self._writer = fast or CoreWriter(conn)
        return self._writer

    async def _write_stock(self, writer: Writer, tracked: _Tracked) -> None:
        stock: Stock = tracked.aggregate
        movements = stock.pending_movements
        d_on_hand = sum(m.delta_on_hand for m in movements)
        d_reserved = sum(m.delta_reserved for m in movements)
        if tracked.is_new:
            await writer.insert(t.stock, [{
                "product_id": stock.product_id, "on_hand": d_on_hand, "reserved": d_reserved,
                "low_stock_threshold": stock.low_stock_threshold, "version": 1,
            }])
            figures: tuple[int, int, int] | None = (d_on_hand, d_reserved, 1)
        else:
            loaded = tracked.snapshot or {}
            threshold_changed = stock.low_stock_threshold != loaded.get("low_stock_threshold")
            if not movements and not threshold_changed:
                return
            figures = await writer.apply_stock(
                stock.product_id, d_on_hand, d_reserved, stock.low_stock_threshold
            )
            if figures is None:
                await self._refuse_stock(self.connection, stock, d_on_hand, d_reserved)
        if movements:
            await writer.insert(t.stock_movements, [rows.movement_values(m) for m in movements])
        assert figures is not None
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
        writer = await self._open_writer(self.connection)
        await writer.insert(t.outbox, [
            {"message_id": e.message_id, "name": e.event_name(), "payload": wire.dumps(e),
             "written_at": now}
            for e in events
        ])

    async def _inbox_contains(self, consumer: str, message_id: str) -> bool:
        i = t.inbox
        row = (await self.connection.execute(
            sa.select(sa.literal(1)).where(i.c.consumer == consumer, i.c.message_id == message_id)
        )).first()
        return row is not None

    async def _inbox_add(self, consumer: str, message_id: str) -> None:
        writer = await self._open_writer(self.connection)
        try:
            await writer.insert(t.inbox, [{
                "consumer": consumer, "message_id": message_id,
                "processed_at": self._clock.now() if self._clock else datetime.now(UTC),
            }])
        except DuplicateInboxRow as error:
            raise AlreadyProcessed((consumer, message_id)) from error

    async def _commit(self) -> None:
        assert self._tx is not None
        if self._writer is not None:
            try:
                await self._writer.finish()  # the fast path sends its queued inserts now
            except DuplicateInboxRow as error:
                raise AlreadyProcessed(self._message) from error
        try:
            await self._tx.commit()
        except exc.DBAPIError as error:
            raise translate(error) from error
        if self._router is not None:
            await self._router.note_commit(self.connection)
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
            self._conn = self._tx = self._writer = None
            self._tracked = {}
            if self._locked:
                self._locked = False
                self._db.release_write_lock()
