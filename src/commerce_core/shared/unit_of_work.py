"""The unit of work: one transaction, the aggregates it saw, and the events they raised.

``async with uow:`` opens a transaction and rolls it back on exit unless ``await uow.commit()`` ran.
On commit the aggregates are written, their events go to the outbox in the same transaction, and
when the unit of work handles a message, the inbox row ``(consumer, message_id)`` too. The events
of every commit wait in ``collect_new_events()`` for the message bus.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.events import Event

if TYPE_CHECKING:
    from commerce_core.catalog.ports import ProductRepository
    from commerce_core.identity.ports import UserRepository
    from commerce_core.inventory.ports import (
        ReservationRepository,
        StockRepository,
        SupplierReceiptRepository,
        SupplierRepository,
    )
    from commerce_core.notifications.ports import NotificationRepository
    from commerce_core.ordering.ports import OrderRepository, ReturnRepository
    from commerce_core.payments.ports import PaymentRepository


class AlreadyProcessed(Exception):
    """The inbox holds this (consumer, message_id): the message was handled before."""


class UnitOfWork(Protocol):
    users: UserRepository
    products: ProductRepository
    stock: StockRepository
    reservations: ReservationRepository
    orders: OrderRepository
    payments: PaymentRepository
    notifications: NotificationRepository
    suppliers: SupplierRepository
    supplier_receipts: SupplierReceiptRepository
    returns: ReturnRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self, *, completes_message: bool = True) -> None:
        """Makes the transaction durable. A handler that commits in steps around a call outside
        (a payment gateway) passes ``completes_message=False`` to the steps before the last, so
        a crash between them leaves the message unrecorded and its redelivery finishes the job."""
        ...

    async def rollback(self) -> None: ...

    def handling(self, consumer: str, message_id: str) -> None:
        """Binds the unit of work to a message: its first commit records it in the inbox, and a
        message already there makes the next ``async with`` raise AlreadyProcessed."""
        ...

    def collect_new_events(self) -> list[Event]: ...

    def reset(self) -> bool:
        """Readies the unit of work, its handler call over and its events collected, for another
        call, as if new: no message bound, nothing seen. False when it cannot be reused; the bus
        keeps those that can for its next calls instead of building new ones."""
        ...

    def track(self, aggregate: Aggregate) -> None:
        """Collects the aggregate's events at commit; repositories do it for what they load
        and add, so only an aggregate stored elsewhere (a cart) is tracked by hand."""
        ...


class UnitOfWorkBase:
    """The bookkeeping every adapter shares; subclasses do the storage-specific steps."""

    def __init__(self) -> None:
        self._seen: list[Aggregate] = []
        self._committed_events: list[Event] = []
        self._message: tuple[str, str] | None = None
        self._inbox_checked = False
        self._inbox_written = False
        self._committed = False

    # -- storage-specific steps ---------------------------------------------------------------

    async def _begin(self) -> None:
        raise NotImplementedError

    async def _flush(self) -> None:
        """Writes the tracked aggregates (not yet durable); raises on a guard or version clash."""
        raise NotImplementedError

    async def _write_outbox(self, events: list[Event]) -> None:
        raise NotImplementedError

    async def _inbox_contains(self, consumer: str, message_id: str) -> bool:
        raise NotImplementedError

    async def _inbox_add(self, consumer: str, message_id: str) -> None:
        """Raises AlreadyProcessed when a concurrent delivery recorded it first."""
        raise NotImplementedError

    async def _commit(self) -> None:
        raise NotImplementedError

    async def _rollback(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        """Releases the connection; called on every exit."""

    # -- the protocol -------------------------------------------------------------------------

    def track(self, aggregate: Aggregate) -> None:
        self._seen.append(aggregate)

    def handling(self, consumer: str, message_id: str) -> None:
        self._message = (consumer, message_id)
        self._inbox_checked = self._inbox_written = False

    async def __aenter__(self) -> Self:
        self._start()
        await self._begin()
        message = self._message_to_check()
        if message is not None and await self._inbox_contains(*message):
            await self._rollback()
            await self._close()
            raise AlreadyProcessed(message)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self._rollback()
        finally:
            self._seen.clear()
            await self._close()

    async def commit(self, *, completes_message: bool = True) -> None:
        await self._flush()
        events = self._pull_events()
        message = self._message_to_record(completes_message)
        if message is not None:
            await self._inbox_add(*message)
        if events:
            await self._write_outbox(events)
        await self._commit()
        self._committed_with(events, message)

    async def rollback(self) -> None:
        await self._rollback()

    def collect_new_events(self) -> list[Event]:
        events, self._committed_events = self._committed_events, []
        return events

    def reset(self) -> bool:
        return False  # an adapter whose units of work can be reused says so

    # -- the rules of the protocol, shared by adapters whose steps never suspend ----------------
    # (the in-memory unit of work runs its steps as plain calls, in this same order)

    def _start(self) -> None:
        # Emptied in place, not replaced: the in-memory repositories append to this very list.
        self._seen.clear()
        self._committed = False

    def _message_to_check(self) -> tuple[str, str] | None:
        """The message whose inbox row the transaction just begun must look for: the first
        transaction of a unit of work bound to a message does, later ones do not."""
        if self._message is None or self._inbox_checked:
            return None
        self._inbox_checked = True
        return self._message

    def _pull_events(self) -> list[Event]:
        events: list[Event] = []
        for aggregate in self._seen:
            events.extend(aggregate.pull_events())
        return events

    def _message_to_record(self, completes_message: bool) -> tuple[str, str] | None:
        """The inbox row this commit writes: the message's, once, by a commit that completes it."""
        if completes_message and not self._inbox_written:
            return self._message
        return None

    def _committed_with(self, events: list[Event], recorded: tuple[str, str] | None) -> None:
        self._committed = True
        if recorded is not None:
            self._inbox_written = True
        self._committed_events.extend(events)
