from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from commerce_core.shared.events import Event


@frozen
class OrderedItem:
    product_id: str
    quantity: int
    unit_price: Decimal


@frozen(kw_only=True)
class OrderCreated(Event):
    order_id: str
    user_id: str
    items: tuple[OrderedItem, ...]
    total: Decimal
    currency: str
    payment_method: str  # the gateway's token; never a card number


@frozen(kw_only=True)
class OrderConfirmed(Event):
    order_id: str
    user_id: str
    total: Decimal
    currency: str


@frozen(kw_only=True)
class OrderCancelled(Event):
    order_id: str
    user_id: str
    reason: str
    previous_status: str


@frozen(kw_only=True)
class OrderShipped(Event):
    order_id: str
    user_id: str


@frozen(kw_only=True)
class OrderDelivered(Event):
    order_id: str
    user_id: str


@frozen
class ReturnedItem:
    product_id: str
    quantity: int


@frozen(kw_only=True)
class ReturnReceived(Event):
    """An admin received a return: the units are back on the shelf and ``refund_amount`` went
    back to the customer (``refunded`` says whether the gateway took the refund)."""

    order_id: str
    return_id: str
    user_id: str
    items: tuple[ReturnedItem, ...]
    refund_amount: Decimal
    currency: str
    refunded: bool
