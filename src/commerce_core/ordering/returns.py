"""Returns: a customer sends back items of a delivered order; an admin receives them, the stock
comes back as ``return`` movements and the money for them is refunded.

Whether a return fits is decided against the order and the returns it already has. The n-th
return of an order has the id ``<order id>-r<n>``, so two requests racing for the same items
cannot both commit: both claim the same id, the second fails its insert (ConcurrencyConflict)
and is decided again on fresh state.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

from attrs import define, field, frozen

from commerce_core.inventory.model import check_quantity
from commerce_core.ordering.events import ReturnedItem, ReturnReceived
from commerce_core.ordering.model import Order, OrderStatus
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import Conflict, InvalidInput, NotFound
from commerce_core.shared.money import Money

MAX_RETURN_LINES = 100


class ReturnNotFound(NotFound):
    code = "return_not_found"
    title = "Return not found"


class ReturnNotPossible(Conflict):
    code = "return_not_possible"
    title = "This return is not possible"


class ReturnAlreadyReceived(Conflict):
    code = "return_already_received"
    title = "This return was received already"


class ReturnStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    RECEIVED = "RECEIVED"


@frozen
class ReturnItem:
    product_id: str
    quantity: int


@define(slots=False, eq=False)
class ReturnRequest(Aggregate):
    id: str
    order_id: str
    user_id: str
    items: tuple[ReturnItem, ...]
    refund_amount: Money
    status: ReturnStatus
    requested_at: datetime
    updated_at: datetime
    refunded: bool = False
    version: int = field(default=0, kw_only=True)

    @classmethod
    def request(
        cls,
        order: Order,
        earlier: Sequence[ReturnRequest],
        items: Sequence[tuple[str, int]],
        *,
        now: datetime,
    ) -> ReturnRequest:
        if not 1 <= len(items) <= MAX_RETURN_LINES:
            raise InvalidInput(f"a return has 1 to {MAX_RETURN_LINES} items", field="items")
        if order.status is not OrderStatus.DELIVERED:
            raise ReturnNotPossible(f"order {order.id} is {order.status}: only a delivered order "
                                    "can be returned")
        wanted: dict[str, int] = {}
        for number, (product_id, quantity) in enumerate(items):
            check_quantity(quantity, f"items.{number}.quantity")
            wanted[product_id] = wanted.get(product_id, 0) + quantity
        returned: dict[str, int] = {}
        for earlier_return in earlier:
            for item in earlier_return.items:
                returned[item.product_id] = returned.get(item.product_id, 0) + item.quantity
        lines = {line.product_id: line for line in order.lines}
        refund = Money.zero(order.currency)
        for product_id, quantity in sorted(wanted.items()):
            line = lines.get(product_id)
            left = 0 if line is None else line.quantity - returned.get(product_id, 0)
            if line is None or quantity > left:
                raise ReturnNotPossible(
                    f"product {product_id}: {quantity} to return, {left} ordered and not "
                    "returned yet"
                )
            refund = refund + line.price * quantity
        return cls(
            f"{order.id}-r{len(earlier) + 1}", order.id, order.user_id,
            tuple(ReturnItem(pid, qty) for pid, qty in sorted(wanted.items())),
            refund, ReturnStatus.REQUESTED, now, now,
        )

    def receive(self, *, refunded: bool, now: datetime) -> None:
        if self.status is ReturnStatus.RECEIVED:
            raise ReturnAlreadyReceived(f"return {self.id} was received already")
        self.status = ReturnStatus.RECEIVED
        self.refunded = refunded
        self.updated_at = now
        self._record(
            ReturnReceived(
                occurred_at=now,
                correlation_id=self.order_id,
                order_id=self.order_id,
                return_id=self.id,
                user_id=self.user_id,
                items=tuple(ReturnedItem(i.product_id, i.quantity) for i in self.items),
                refund_amount=self.refund_amount.amount,
                currency=self.refund_amount.currency,
                refunded=refunded,
            )
        )
