"""Stock and reservations.

A ``Stock`` records each change as a ``Movement`` (a delta of ``on_hand`` and ``reserved``). The
repository applies the deltas with one guarded statement that refuses any result with
``available < 0`` or ``reserved < 0``, and writes the movements in the same transaction, so
``on_hand`` always equals the sum of the movement log and no read-then-write race can oversell.
After the write the repository hands back the figures the store holds, and only then are the
``StockUpdated`` and ``LowStockDetected`` events built from them (see ``pull_events``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from attrs import define, field, frozen

from commerce_core.inventory.events import (
    InventoryReleased,
    InventoryReservationFailed,
    InventoryReserved,
    LowStockDetected,
    ReservedItem,
    StockAdjusted,
    StockUpdated,
)
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import (
    IllegalTransition,
    InsufficientStock,
    InvalidAdjustment,
    InvalidQuantity,
)
from commerce_core.shared.events import Event

MAX_QUANTITY = 1000


def check_quantity(quantity: object, field_name: str = "quantity") -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 1000:
        raise InvalidQuantity(field=field_name)
    return quantity


class MovementReason(enum.StrEnum):
    ORDER = "order"  # reserve, commit, release or restock for an order
    EXPIRY = "expiry"  # a reservation released because it outlived its TTL
    ADMIN = "admin"
    SUPPLIER = "supplier"
    RETURN = "return"
    DAMAGE = "damage"


ADJUSTMENT_REASONS = frozenset(
    {MovementReason.ADMIN, MovementReason.SUPPLIER, MovementReason.RETURN, MovementReason.DAMAGE}
)


@frozen
class Movement:
    product_id: str
    delta_on_hand: int
    delta_reserved: int
    reason: MovementReason
    reference: str | None
    at: datetime


@frozen
class LowStockLine:
    product_id: str
    sku: str
    name: str
    available: int
    low_stock_threshold: int


@define(slots=False, eq=False)
class Stock(Aggregate):
    product_id: str
    on_hand: int
    reserved: int
    low_stock_threshold: int
    version: int = field(default=0, kw_only=True)
    if TYPE_CHECKING:  # transient, not attrs fields: set by changes, consumed at commit
        _movements: list[Movement]
        _changed_at: datetime | None
        _delta_available: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def pending_movements(self) -> tuple[Movement, ...]:
        return tuple(getattr(self, "_movements", ()))

    @classmethod
    def open(
        cls, product_id: str, *, initial: int, low_stock_threshold: int, now: datetime
    ) -> Stock:
        stock = cls(product_id, 0, 0, max(0, low_stock_threshold))
        if initial:
            stock._move(initial, 0, MovementReason.ADMIN, "initial stock", now)
        else:
            stock._changed_at = now  # announce the new (empty) stock all the same
        return stock

    # -- changes ------------------------------------------------------------------------------

    def reserve(self, quantity: int, order_id: str, now: datetime) -> None:
        check_quantity(quantity)
        if quantity > self.available:
            raise InsufficientStock(
                f"product {self.product_id}: {quantity} requested, {self.available} available",
                product_id=self.product_id,
                requested=quantity,
                available=self.available,
            )
        self._move(0, quantity, MovementReason.ORDER, order_id, now)

    def commit(self, quantity: int, order_id: str, now: datetime) -> None:
        """Reserved units leave the shelf: both figures fall, ``available`` stays."""
        self._move(-quantity, -quantity, MovementReason.ORDER, order_id, now)

    def release(self, quantity: int, order_id: str, now: datetime, *, expired: bool) -> None:
        reason = MovementReason.EXPIRY if expired else MovementReason.ORDER
        self._move(0, -quantity, reason, order_id, now)

    def restock(self, quantity: int, order_id: str, now: datetime) -> None:
        """Committed units come back (an order cancelled after payment, before shipping)."""
        self._move(quantity, 0, MovementReason.ORDER, order_id, now)

    def adjust(
        self, delta: int, reason: MovementReason, reference: str | None, now: datetime
    ) -> None:
        if reason not in ADJUSTMENT_REASONS:
            raise InvalidAdjustment(f"reason must be one of {sorted(ADJUSTMENT_REASONS)}")
        if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
            raise InvalidAdjustment("delta must be a non-zero integer", field="delta")
        if abs(delta) > 1_000_000:
            raise InvalidAdjustment("delta is out of range", field="delta")
        if self.available + delta < 0:
            raise InsufficientStock(
                f"adjustment of {delta} would leave {self.available + delta} available",
                product_id=self.product_id,
                requested=-delta,
                available=self.available,
            )
        self._move(delta, 0, reason, reference, now)
        self._record(
            StockAdjusted(
                occurred_at=now,
                correlation_id=self.product_id,
                product_id=self.product_id,
                delta=delta,
                reason=reason.value,
                reference=reference,
            )
        )

    def set_low_stock_threshold(self, threshold: int) -> None:
        if not isinstance(threshold, int) or not 0 <= threshold <= 1_000_000:
            raise InvalidAdjustment("threshold must be 0 or more", field="low_stock_threshold")
        self.low_stock_threshold = threshold

    def _move(
        self,
        d_on_hand: int,
        d_reserved: int,
        reason: MovementReason,
        ref: str | None,
        now: datetime,
    ) -> None:
        self.on_hand += d_on_hand
        self.reserved += d_reserved
        self._delta_available = getattr(self, "_delta_available", 0) + d_on_hand - d_reserved
        movement = Movement(self.product_id, d_on_hand, d_reserved, reason, ref, now)
        movements: list[Movement] | None = getattr(self, "_movements", None)
        if movements is None:  # a loaded copy's first movement (not caught: raising costs)
            self._movements = [movement]
        else:
            movements.append(movement)
        self._changed_at = now

    # -- persistence hand-off -----------------------------------------------------------------

    def take_movements(self) -> list[Movement]:
        movements = getattr(self, "_movements", [])
        self._movements = []
        return movements

    def stored_as(self, on_hand: int, reserved: int, version: int) -> None:
        """Called by the repository with the figures the store holds after applying the deltas."""
        self.on_hand, self.reserved, self.version = on_hand, reserved, version

    def pull_events(self) -> list[Event]:
        events = super().pull_events()
        changed_at: datetime | None = getattr(self, "_changed_at", None)
        if changed_at is not None:
            self._changed_at = None
            events.append(
                StockUpdated(
                    occurred_at=changed_at,
                    correlation_id=self.product_id,
                    product_id=self.product_id,
                    on_hand=self.on_hand,
                    reserved=self.reserved,
                    available=self.available,
                    stock_version=self.version,
                )
            )
            before = self.available - getattr(self, "_delta_available", 0)
            self._delta_available = 0
            is_new = self.version <= 1
            crossed = before > self.low_stock_threshold >= self.available
            if crossed or (is_new and self.available <= self.low_stock_threshold):
                events.append(
                    LowStockDetected(
                        occurred_at=changed_at,
                        correlation_id=self.product_id,
                        product_id=self.product_id,
                        available=self.available,
                        threshold=self.low_stock_threshold,
                    )
                )
        return events


class ReservationStatus(enum.StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    RELEASED = "RELEASED"
    FAILED = "FAILED"  # nothing was held: the order could not be served


_RESERVATION_TRANSITIONS = {
    ReservationStatus.RESERVED: {ReservationStatus.COMMITTED, ReservationStatus.RELEASED},
    ReservationStatus.COMMITTED: {ReservationStatus.SHIPPED, ReservationStatus.RELEASED},
    ReservationStatus.SHIPPED: {ReservationStatus.DELIVERED},
    ReservationStatus.DELIVERED: set(),
    ReservationStatus.RELEASED: set(),
    ReservationStatus.FAILED: set(),
}


@define(slots=False, eq=False)
class Reservation(Aggregate):
    """The stock held for one order. Its id is the order's id: one reservation per order."""

    order_id: str
    items: tuple[ReservedItem, ...]
    status: ReservationStatus
    reserved_at: datetime
    expires_at: datetime
    updated_at: datetime
    version: int = field(default=0, kw_only=True)

    @classmethod
    def hold(
        cls,
        order_id: str,
        items: Iterable[tuple[str, int]],
        stocks: dict[str, Stock],
        *,
        now: datetime,
        ttl: timedelta,
    ) -> Reservation:
        """Reserves every line or raises InsufficientStock with nothing held."""
        merged: dict[str, int] = {}
        for product_id, quantity in items:
            merged[product_id] = merged.get(product_id, 0) + quantity
        reserved = tuple(ReservedItem(pid, qty) for pid, qty in sorted(merged.items()))
        for item in reserved:  # check all before touching any
            stock = stocks[item.product_id]
            if item.quantity > stock.available:
                raise InsufficientStock(
                    f"product {item.product_id}: {item.quantity} requested, "
                    f"{stock.available} available",
                    product_id=item.product_id,
                    requested=item.quantity,
                    available=stock.available,
                )
        for item in reserved:
            stocks[item.product_id].reserve(item.quantity, order_id, now)
        reservation = cls(order_id, reserved, ReservationStatus.RESERVED, now, now + ttl, now)
        reservation._record(
            InventoryReserved(
                occurred_at=now,
                correlation_id=order_id,
                order_id=order_id,
                items=reserved,
                expires_at=reservation.expires_at.isoformat(),
            )
        )
        return reservation

    @classmethod
    def failed(
        cls, order_id: str, *, reason: str, product_id: str | None, now: datetime
    ) -> Reservation:
        reservation = cls(order_id, (), ReservationStatus.FAILED, now, now, now)
        reservation._record(
            InventoryReservationFailed(
                occurred_at=now,
                correlation_id=order_id,
                order_id=order_id,
                reason=reason,
                product_id=product_id,
            )
        )
        return reservation

    @property
    def is_active(self) -> bool:
        return self.status is ReservationStatus.RESERVED

    def is_expired(self, now: datetime) -> bool:
        return self.is_active and now >= self.expires_at

    def _move_to(self, target: ReservationStatus, now: datetime) -> None:
        if target not in _RESERVATION_TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"reservation {self.order_id}: {self.status} -> {target}",
                current=self.status.value,
                target=target.value,
            )
        self.status = target
        self.updated_at = now

    def commit(self, stocks: dict[str, Stock], now: datetime) -> None:
        self._move_to(ReservationStatus.COMMITTED, now)
        for item in self.items:
            stocks[item.product_id].commit(item.quantity, self.order_id, now)

    def release(self, stocks: dict[str, Stock], now: datetime, *, reason: str) -> None:
        """Gives the stock back: reserved units from RESERVED, shelf units from COMMITTED."""
        was = self.status
        self._move_to(ReservationStatus.RELEASED, now)
        for item in self.items:
            stock = stocks[item.product_id]
            if was is ReservationStatus.RESERVED:
                stock.release(item.quantity, self.order_id, now, expired=reason == "expired")
            else:
                stock.restock(item.quantity, self.order_id, now)
        self._record(
            InventoryReleased(
                occurred_at=now,
                correlation_id=self.order_id,
                order_id=self.order_id,
                reason=reason,
                items=self.items,
            )
        )

    def ship(self, now: datetime) -> None:
        self._move_to(ReservationStatus.SHIPPED, now)

    def deliver(self, now: datetime) -> None:
        self._move_to(ReservationStatus.DELIVERED, now)
