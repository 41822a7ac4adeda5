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
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from adapters.memory.repositories import (
    MemoryNotificationRepository,
    MemoryOrderRepository,
    MemoryPaymentRepository,
    MemoryProductRepository,
    MemoryReservationRepository,
    MemoryStockRepository,
    MemoryUserRepository,
    Tracked,
    Tracking,
    _Repository,
    public_state,
    with_state,
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

R = TypeVar("R", bound=_Repository[Any])


class _OnFirstUse(Generic[R]):
    """A repository of the unit of work, made the first time its handler asks for it: a handler
    touches two or three of the ten, and a unit of work is made for every handler call. A
    descriptor rather than ``__getattr__``, which runs only after the failed lookup has raised
    an AttributeError: a cost paid on every first use, about fourteen per saga."""

    def __init__(self, repository_type: type[R]) -> None:
        self._type = repository_type
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _OnFirstUse[R]: ...

    @overload
    def __get__(self, uow: MemoryUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: MemoryUnitOfWork | None, owner: type) -> R | _OnFirstUse[R]:
        if uow is None:
            return self
        repository = self._type(uow._store, uow._tracking)
        # From now on the instance's own attribute answers (this descriptor has no __set__).
        # setattr rather than uow.__dict__[...], which would build the instance's dict.
        setattr(uow, self._name, repository)
        uow._repositories.append(repository)
        return repository


class MemoryUnitOfWork(UnitOfWorkBase):
    users = _OnFirstUse(MemoryUserRepository)
    products = _OnFirstUse(MemoryProductRepository)
    stock = _OnFirstUse(MemoryStockRepository)
    reservations = _OnFirstUse(MemoryReservationRepository)
    orders = _OnFirstUse(MemoryOrderRepository)
    payments = _OnFirstUse(MemoryPaymentRepository)
    notifications = _OnFirstUse(MemoryNotificationRepository)
    suppliers = _OnFirstUse(MemorySupplierRepository)
    supplier_receipts = _OnFirstUse(MemorySupplierReceiptRepository)
    returns = _OnFirstUse(MemoryReturnRepository)

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self._store = store
        self._tracking = Tracking()
        self._repositories: list[_Repository[Any]] = []

    # The protocol of UnitOfWorkBase, in its order and with its rules (_message_to_check,
    # _message_to_record, ...), but with the storage steps as plain calls: none of them would
    # suspend, and awaiting a coroutine per step was a tenth of a saga's cost. That nothing
    # awaits between the checks and the writes is also what makes a commit atomic here.

    async def __aenter__(self) -> Self:
        self._start()
        tracking = self._tracking
        tracking.by_id.clear()  # (only the unit of work and its repositories see the dict)
        tracking.seen = self._seen
        for repository in self._repositories:
            repository._seen.clear()  # repository.begin(), one call less
        message = self._message_to_check()
        if message is not None and message in self._store.inbox:
            raise AlreadyProcessed(message)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._tracking.by_id.clear()  # nothing reached the store: forget the copies
        self._seen.clear()

    async def commit(self, *, completes_message: bool = True) -> None:
        writes, stock_writes = self._check()
        events = self._pull_events()
        message = self._message_to_record(completes_message)
        if message is not None and message in self._store.inbox:
            raise AlreadyProcessed(message)  # a concurrent delivery recorded it first
        self._write(writes, stock_writes, events, message)
        self._committed_with(events, message)

    async def rollback(self) -> None:
        self._tracking.by_id.clear()

    def _check(self) -> tuple[list[tuple[Tracked, dict[str, Any] | None]], list[Tracked]]:
        """The writes this commit makes, each checked as the SQL statements would; raises on a
        guard or version clash, before anything is written. A changed row comes with the
        public state its check computed (None for a new row)."""
        writes: list[tuple[Tracked, dict[str, Any] | None]] = []
        stock_writes: list[tuple[Tracked, int, int, int]] = []
        for tracked in self._tracking.by_id.values():
            aggregate = tracked.aggregate
            if isinstance(aggregate, Stock):
                staged = self._check_stock(tracked)
                if staged is not None:
                    stock_writes.append(staged)
            elif tracked.is_new:
                self._check_row(tracked)
                writes.append((tracked, None))
            elif (state := tracked.changed_state()) is not None:
                self._check_row(tracked)
                writes.append((tracked, state))
        # Every check passed: hand the figures the store will hold to the aggregates.
        for tracked, on_hand, reserved, version in stock_writes:
            tracked.aggregate.stored_as(on_hand, reserved, version)
        return writes, [tracked for tracked, *_ in stock_writes]

    def _check_row(self, tracked: Tracked) -> None:
        table = tracked.rows
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

    def _check_stock(self, tracked: Tracked) -> tuple[Tracked, int, int, int] | None:
        stock = tracked.aggregate
        assert isinstance(stock, Stock)
        movements = stock.pending_movements
        d_on_hand = sum(m.delta_on_hand for m in movements)
        d_reserved = sum(m.delta_reserved for m in movements)
        stored = self._store.stock.get(stock.product_id)
        if tracked.is_new:
            if stored is not None:
                raise ConcurrencyConflict(f"stock {stock.product_id} was created concurrently")
            return tracked, d_on_hand, d_reserved, 1
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
        return tracked, on_hand, reserved, stored.version + 1

    def _write(
        self,
        writes: list[tuple[Tracked, dict[str, Any] | None]],
        stock_writes: list[Tracked],
        events: list[Event],
        message: tuple[str, str] | None,
    ) -> None:
        store = self._store
        for tracked, checked_state in writes:
            aggregate: Any = tracked.aggregate
            version = aggregate.version = (tracked.loaded_version or 0) + 1
            if checked_state is None:
                state = public_state(aggregate)
            else:
                # Nothing but transient attributes moved since the check computed it.
                state = checked_state
                state["version"] = version
            # The stored row takes the state dict itself, which also becomes the snapshot: a
            # stored row is never changed in place, so neither is the dict.
            tracked.rows[tracked.key] = with_state(aggregate, state)
            if tracked.is_new:
                self._index_new(aggregate)
            tracked.committed(state)
        for tracked in stock_writes:
            stock = tracked.aggregate
            state = public_state(stock)
            store.stock[stock.product_id] = with_state(stock, state)
            store.movements[stock.product_id].extend(stock.take_movements())
            tracked.committed(state)
        if message is not None:
            store.inbox.add(message)
        if events:
            now = time.monotonic()
            outbox = store.outbox
            for event in events:
                outbox[event.message_id] = OutboxRow(event, now)

    def _index_new(self, aggregate: object) -> None:
        store = self._store
        if isinstance(aggregate, User):
            store.user_ids_by_email[aggregate.email] = aggregate.id
        elif isinstance(aggregate, Product):
            store.product_ids_by_sku[aggregate.sku] = aggregate.id
        elif isinstance(aggregate, Order):
            store.order_ids_by_user[aggregate.user_id].append(aggregate.id)

    def __iter__(self) -> Iterator[Tracked]:  # pragma: no cover - debugging aid
        return iter(self._tracking.by_id.values())
