from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

from attrs import define, field, frozen

from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderedItem,
    OrderShipped,
)
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import EmptyCart, IllegalTransition
from commerce_core.shared.money import Money


class OrderStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class CancelReason(enum.StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    RESERVATION_EXPIRED = "reservation_expired"
    CUSTOMER_CANCELLED = "customer_cancelled"
    ADMIN_CANCELLED = "admin_cancelled"


@frozen
class OrderLine:
    product_id: str
    sku: str
    name: str
    quantity: int
    price: Money

    @property
    def subtotal(self) -> Money:
        return self.price * self.quantity


@define(slots=False, eq=False)
class Order(Aggregate):
    id: str
    user_id: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    currency: str
    created_at: datetime
    updated_at: datetime
    cancel_reason: str | None = None
    payment_method: str = field(default="", kw_only=True, repr=False)
    version: int = field(default=0, kw_only=True)

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        user_id: str,
        lines: Sequence[OrderLine],
        payment_method: str,
        now: datetime,
    ) -> Order:
        if not lines:
            raise EmptyCart()
        currency = lines[0].price.currency
        order = cls(
            order_id,
            user_id,
            tuple(lines),
            OrderStatus.PENDING,
            currency,
            now,
            now,
            payment_method=payment_method,
        )
        total = order.total  # refuses mixed currencies
        order._record(
            OrderCreated(
                occurred_at=now,
                correlation_id=order_id,
                order_id=order_id,
                user_id=user_id,
                items=tuple(
                    OrderedItem(line.product_id, line.quantity, line.price.amount)
                    for line in lines
                ),
                total=total.amount,
                currency=currency,
                payment_method=payment_method,
            )
        )
        return order

    @property
    def total(self) -> Money:
        return Money.sum((line.subtotal for line in self.lines), self.currency)

    def can_move_to(self, target: OrderStatus) -> bool:
        return target in ALLOWED_TRANSITIONS[self.status]

    def _move_to(self, target: OrderStatus, now: datetime) -> None:
        if not self.can_move_to(target):
            raise IllegalTransition(
                f"order {self.id} is {self.status}; it cannot become {target}",
                current=self.status.value,
                target=target.value,
            )
        self.status = target
        self.updated_at = now

    def confirm(self, now: datetime) -> None:
        self._move_to(OrderStatus.CONFIRMED, now)
        self._record(
            OrderConfirmed(
                occurred_at=now,
                correlation_id=self.id,
                order_id=self.id,
                user_id=self.user_id,
                total=self.total.amount,
                currency=self.currency,
            )
        )

    def cancel(self, now: datetime, reason: CancelReason) -> None:
        previous = self.status
        self._move_to(OrderStatus.CANCELLED, now)
        self.cancel_reason = reason.value
        self._record(
            OrderCancelled(
                occurred_at=now,
                correlation_id=self.id,
                order_id=self.id,
                user_id=self.user_id,
                reason=reason.value,
                previous_status=previous.value,
            )
        )

    def ship(self, now: datetime) -> None:
        self._move_to(OrderStatus.SHIPPED, now)
        self._record(
            OrderShipped(occurred_at=now, correlation_id=self.id, order_id=self.id,
                         user_id=self.user_id)
        )

    def deliver(self, now: datetime) -> None:
        self._move_to(OrderStatus.DELIVERED, now)
        self._record(
            OrderDelivered(occurred_at=now, correlation_id=self.id, order_id=self.id,
                           user_id=self.user_id)
        )
