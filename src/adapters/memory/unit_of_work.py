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
    _Repository,
    changed_state,
    public_state,
    public_state_after,
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

# A write of a commit: (repository, key, aggregate, the snapshot it was read with or None for a
# new row, the public state a changed row's check computed or None).
_Write = tuple[_Repository[Any], str, Any, dict[str, Any] | None, dict[str, Any] | None]


class _OnFirstUse(Generic[R]):
    """A repository of the unit of work, made the first time it is asked for: a handler touches
    two or three of the ten. A descriptor rather than ``__getattr__``, which runs only after the
    failed lookup has raised an AttributeError, a cost paid on every first use."""

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
        repository = self._type(uow._store, uow._seen, uow._in_use)
        # From now on the instance's own attribute answers (this descriptor has no __set__).
        # setattr rather than uow.__dict__[...], which would build the instance's dict.
        setattr(uow, self._name, repository)
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
        # The repositories the current transaction has used (see _Repository._in_use).
        self._in_use: list[_Repository[Any]] = []

    # The protocol of UnitOfWorkBase, in its order and with its rules (_message_to_check,
    # _message_to_record, ...), but with the storage steps as plain calls: none of them would
    # suspend, and awaiting a coroutine per step was a tenth of a saga's cost. That nothing
    # awaits between the checks and the writes is also what makes a commit atomic here.

    async def __aenter__(self) -> Self:
        self._start()
        if self._in_use:  # the copies of a transaction that committed
            self._forget()
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
        if not self._committed and self._in_use:
            self._forget()  # nothing reached the store: forget the copies
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
        self._forget()

    def reset(self) -> bool:
        """Reusable: the bus hands it to a later handler call, which spares building a unit of
        work and its repositories again (a dozen of each per saga). Each transaction starts from
        nothing anyway (``__aenter__`` forgets the last one's copies), so only the message binding
        goes here, and any copies left."""
        if self._committed_events:
            return False  # events nobody collected: not finished with
        self._message = None
        self._inbox_checked = self._inbox_written = False
        if self._in_use:
            self._forget()
        self._seen.clear()
        return True

    def _forget(self) -> None:
        """Drops the transaction's copies: the next one starts afresh."""
        for repository in self._in_use:
            repository._seen.clear()
            repository._loaded.clear()
        self._in_use.clear()

    def _check(self) -> tuple[list[_Write], list[_Write]]:
        """The writes this commit makes (rows, then stock), each checked as the SQL statements
        would; raises on a guard or version clash, before anything is written."""
        writes: list[_Write] = []
        stock_writes: list[_Write] = []
        stock_figures: list[tuple[Stock, tuple[int, int, int]]] = []
        for repository in self._in_use:
            loaded = repository._loaded
            for key, aggregate in repository._seen.items():
                snapshot = loaded.get(key)
                if isinstance(aggregate, Stock):
                    figures = self._check_stock(aggregate, snapshot)
                    if figures is not None:
                        stock_writes.append((repository, key, aggregate, snapshot, None))
                        stock_figures.append((aggregate, figures))
                elif snapshot is None:
                    self._check_new(repository, key, aggregate)
                    writes.append((repository, key, aggregate, None, None))
                elif (state := changed_state(aggregate, snapshot)) is not None:
                    self._check_version(repository, key, snapshot)
                    writes.append((repository, key, aggregate, snapshot, state))
        # Every check passed: hand the figures the store will hold to the aggregates.
        for stock, (on_hand, reserved, version) in stock_figures:
            stock.stored_as(on_hand, reserved, version)
        return writes, stock_writes

    def _check_new(self, repository: _Repository[Any], key: str, aggregate: object) -> None:
        if isinstance(aggregate, User) and aggregate.email in self._store.user_ids_by_email:
            raise EmailTaken(f"{aggregate.email} is already registered", field="email")
        if isinstance(aggregate, Product) and aggregate.sku in self._store.product_ids_by_sku:
            raise DuplicateSku(f"sku {aggregate.sku!r} exists", field="sku")
        if key in repository._rows:
            raise ConcurrencyConflict(f"{repository.table} {key} was created concurrently")

    def _check_version(
        self, repository: _Repository[Any], key: str, snapshot: dict[str, Any]
    ) -> None:
        stored: Any = repository._rows.get(key)
        if stored is None or stored.version != snapshot["version"]:
            raise ConcurrencyConflict(f"{repository.table} {key} changed since it was read")

    def _check_stock(
        self, stock: Stock, snapshot: dict[str, Any] | None
    ) -> tuple[int, int, int] | None:
        """The figures the store will hold (on hand, reserved, version), or None: no change."""
        movements = stock.pending_movements
        d_on_hand = sum(m.delta_on_hand for m in movements)
        d_reserved = sum(m.delta_reserved for m in movements)
        stored = self._store.stock.get(stock.product_id)
        if snapshot is None:
            if stored is not None:
                raise ConcurrencyConflict(f"stock {stock.product_id} was created concurrently")
            return d_on_hand, d_reserved, 1
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
        return on_hand, reserved, stored.version + 1

    def _write(
        self,
        writes: list[_Write],
        stock_writes: list[_Write],
        events: list[Event],
        message: tuple[str, str] | None,
    ) -> None:
        store = self._store
        for repository, key, aggregate, snapshot, checked_state in writes:
            version = aggregate.version = (0 if snapshot is None else snapshot["version"]) + 1
            if checked_state is None:
                state = public_state(aggregate)
            else:
                # Nothing but transient attributes moved since the check computed it.
                state = checked_state
                state["version"] = version
            # The stored row takes the state dict itself, which also becomes the snapshot of a
            # next commit: a stored row is never changed in place, so neither is the dict.
            row = object.__new__(type(aggregate))  # with_state(), inlined on this hot path
            row.__dict__ = state
            repository._rows[key] = row
            repository._loaded[key] = state
            if snapshot is None:
                self._index_new(aggregate)
        for repository, key, stock, snapshot, _ in stock_writes:
            state = public_state(stock) if snapshot is None else public_state_after(stock, snapshot)
            store.stock[key] = with_state(stock, state)
            store.movements[key].extend(stock.take_movements())
            repository._loaded[key] = state
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

    def __iter__(self) -> Iterator[Any]:  # pragma: no cover - debugging aid
        for repository in self._in_use:
            yield from repository._seen.values()
