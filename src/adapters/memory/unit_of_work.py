"""The in-memory unit of work: copies in, checked and written back atomically at commit.

Each transaction works on private copies (an identity map per transaction). At commit every
changed aggregate is checked against the version it was read at, stock deltas are checked against
the stored figures with the same guard as the SQL statement, and only when every check passes is
anything written. None of these steps awaits anything that suspends, so under asyncio the check and
the write form one atomic step, like a database transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from adapters.memory.repositories import (
    MemoryNotificationRepository,
    MemoryOrderRepository,
    MemoryPaymentRepository,
    MemoryProductRepository,
    MemoryReservationRepository,
    MemoryStockRepository,
    MemoryUserRepository,
    Tracked,
    _Repository,
    copy_of_state,
    public_state,
)
from adapters.memory.returns import MemoryReturnRepository
from adapters.memory.store import MemoryStore, OutboxRow
from adapters.memory.suppliers import MemorySupplierReceiptRepository, MemorySupplierRepository
from commerce_core.catalog.model import Product
from commerce_core.identity.model import User
from commerce_core.inventory.model import Stock
from commerce_core.ordering.model import Order
from commerce_core.shared.errors import (
    ConcurrencyConflict,
    DuplicateSku,
    EmailTaken,
    InsufficientStock,
)
from commerce_core.shared.events import Event
from commerce_core.shared.unit_of_work import AlreadyProcessed, UnitOfWorkBase

_REPOSITORIES: dict[str, type[_Repository[Any]]] = {
    "users": MemoryUserRepository,
    "products": MemoryProductRepository,
    "stock": MemoryStockRepository,
    "reservations": MemoryReservationRepository,
    "orders": MemoryOrderRepository,
    "payments": MemoryPaymentRepository,
    "notifications": MemoryNotificationRepository,
    "suppliers": MemorySupplierRepository,
    "supplier_receipts": MemorySupplierReceiptRepository,
    "returns": MemoryReturnRepository,
}


class _Tracking:
    """What the repositories of one unit of work report their aggregates to.

    Kept apart from the unit of work so that nothing a repository holds points back at it: a
    unit of work and its repositories then form no reference cycle and are freed as soon as the
    handler returns, instead of waiting for the cyclic garbage collector (which, with a unit of
    work per handler call, was a fifth of a saga's CPU time).
    """

    __slots__ = ("by_id", "seen")

    def __init__(self, seen: list[Any]) -> None:
        self.by_id: dict[int, Tracked] = {}
        self.seen = seen

    def register(self, tracked: Tracked) -> None:
        self.by_id[id(tracked.aggregate)] = tracked
        self.seen.append(tracked.aggregate)  # UnitOfWorkBase.track, without the extra call


class MemoryUnitOfWork(UnitOfWorkBase):
    # Created on first use (see __getattr__): a handler touches two or three of the seven, and a
    # unit of work is made for every handler call, so building all of them up front was the
    # largest single cost of a saga step.
    users: MemoryUserRepository
    products: MemoryProductRepository
    stock: MemoryStockRepository
    reservations: MemoryReservationRepository
    orders: MemoryOrderRepository
    payments: MemoryPaymentRepository
    notifications: MemoryNotificationRepository
    suppliers: MemorySupplierRepository
    supplier_receipts: MemorySupplierReceiptRepository
    returns: MemoryReturnRepository

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self._store = store
        self._tracking = _Tracking(self._seen)
        self._repositories: list[_Repository[Any]] = []
        self._writes: list[Tracked] = []
        self._stock_writes: list[tuple[Stock, int, int, int]] = []
        self._outbox: list[Event] = []
        self._inbox: tuple[str, str] | None = None

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not found normally, i.e. a repository not yet used.
        repository_type = _REPOSITORIES.get(name)
        if repository_type is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        repository = repository_type(self._store, self._tracking.register)
        self.__dict__[name] = repository  # a fresh repository has begun: it has seen nothing
        self._repositories.append(repository)
        return repository

    async def _begin(self) -> None:
        self._tracking.by_id = {}
        self._tracking.seen = self._seen  # the list UnitOfWorkBase.__aenter__ just started
        for repository in self._repositories:
            repository.begin()
        self._reset_staging()

    def _reset_staging(self) -> None:
        self._writes, self._stock_writes, self._outbox, self._inbox = [], [], [], None

    async def _flush(self) -> None:
        writes: list[Tracked] = []
        stock_writes: list[tuple[Stock, int, int, int]] = []
        for tracked in self._tracking.by_id.values():
            aggregate = tracked.aggregate
            if isinstance(aggregate, Stock):
                staged = self._check_stock(tracked)
                if staged is not None:
                    stock_writes.append(staged)
            elif tracked.is_new or tracked.is_dirty():
                self._check_row(tracked)
                writes.append(tracked)
        # Every check passed: hand the figures the store will hold to the aggregates.
        for stock, on_hand, reserved, version in stock_writes:
            stock.stored_as(on_hand, reserved, version)
        self._writes, self._stock_writes = writes, stock_writes

    def _check_row(self, tracked: Tracked) -> None:
        table = tracked.rows if tracked.rows is not None else self._store.table(tracked.table)
        key = tracked.key
        if tracked.is_new:
            aggregate = tracked.aggregate
            if isinstance(aggregate, User) and aggregate.email in self._store.user_ids_by_email:
                raise EmailTaken(f"{aggregate.email} is already registered", field="email")
            if isinstance(aggregate, Product) and aggregate.sku in self._store.product_ids_by_sku:
                raise DuplicateSku(f"sku {aggregate.sku!r} exists", field="sku")
            if key in table:
                raise ConcurrencyConflict(f"{tracked.table} {key} was created concurrently")
            return
        stored: Any = table.get(key)
        if stored is None or stored.version != tracked.loaded_version:
            raise ConcurrencyConflict(f"{tracked.table} {key} changed since it was read")

    def _check_stock(self, tracked: Tracked) -> tuple[Stock, int, int, int] | None:
        stock = tracked.aggregate
        assert isinstance(stock, Stock)
        movements = stock.pending_movements
        d_on_hand = sum(m.delta_on_hand for m in movements)
        d_reserved = sum(m.delta_reserved for m in movements)
        stored = self._store.stock.get(stock.product_id)
        if tracked.is_new:
            if stored is not None:
                raise ConcurrencyConflict(f"stock {stock.product_id} was created concurrently")
            return stock, d_on_hand, d_reserved, 1
        if stored is None:
            raise ConcurrencyConflict(f"stock {stock.product_id} vanished")
        threshold_changed = stored.low_stock_threshold != stock.low_stock_threshold
        if not movements and not threshold_changed:
            return None
        on_hand, reserved = stored.on_hand + d_on_hand, stored.reserved + d_reserved
        # The guard of the SQL statement: never a negative `available`, never negative `reserved`.
        if on_hand - reserved < 0 or reserved < 0:
            raise InsufficientStock(
                f"product {stock.product_id}: the change would leave "
                f"{on_hand - reserved} available",
                product_id=stock.product_id,
                requested=-(d_on_hand - d_reserved),
                available=stored.available,
            )
        return stock, on_hand, reserved, stored.version + 1

    async def _write_outbox(self, events: list[Event]) -> None:
        self._outbox = events

    async def _inbox_contains(self, consumer: str, message_id: str) -> bool:
        return (consumer, message_id) in self._store.inbox

    async def _inbox_add(self, consumer: str, message_id: str) -> None:
        if (consumer, message_id) in self._store.inbox:
            raise AlreadyProcessed((consumer, message_id))
        self._inbox = (consumer, message_id)

    async def _commit(self) -> None:
        store = self._store
        for tracked in self._writes:
            aggregate: Any = tracked.aggregate
            aggregate.version = (tracked.loaded_version or 0) + 1
            state = public_state(aggregate)
            rows = tracked.rows if tracked.rows is not None else store.table(tracked.table)
            rows[tracked.key] = copy_of_state(aggregate, state)
            if tracked.is_new:
                self._index_new(aggregate)
            tracked.committed(state)
        for stock, *_ in self._stock_writes:
            state = public_state(stock)
            store.stock[stock.product_id] = copy_of_state(stock, state)
            store.movements[stock.product_id].extend(stock.take_movements())
            self._tracking.by_id[id(stock)].committed(state)
        if self._inbox is not None:
            store.inbox.add(self._inbox)
        now = time.monotonic()
        for event in self._outbox:
            store.outbox[event.message_id] = OutboxRow(event, now)
        self._reset_staging()

    def _index_new(self, aggregate: object) -> None:
        store = self._store
        if isinstance(aggregate, User):
            store.user_ids_by_email[aggregate.email] = aggregate.id
        elif isinstance(aggregate, Product):
            store.product_ids_by_sku[aggregate.sku] = aggregate.id
        elif isinstance(aggregate, Order):
            store.order_ids_by_user[aggregate.user_id].append(aggregate.id)

    async def _rollback(self) -> None:
        # Nothing reached the store; forget the copies and what was staged.
        self._tracking.by_id = {}
        self._reset_staging()

    def __iter__(self) -> Iterator[Tracked]:  # pragma: no cover - debugging aid
        return iter(self._tracking.by_id.values())
