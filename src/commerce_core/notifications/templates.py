"""One template per event: a subject, a plain-text body for e-mail, and a short text for SMS and
push (one line, at most 160 characters)."""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from commerce_core.identity.events import UserRegistered
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.shared.events import Event

CANCEL_REASONS = {
    "out_of_stock": "an item ran out of stock",
    "payment_declined": "the payment was declined",
    "reservation_expired": "the payment did not complete in time",
    "customer_cancelled": "you cancelled it",
    "admin_cancelled": "the shop cancelled it",
}


SHORT_LIMIT = 160


@frozen
class Rendered:
    template: str
    subject: str
    body: str
    short: str

    def text_for(self, channel: str) -> str:
        return self.body if channel == "email" else self.short[:SHORT_LIMIT]


def _welcome(event: UserRegistered, name: str) -> Rendered:
    return Rendered(
        "welcome",
        "Welcome!",
        f"Hello {name},\n\nyour account is ready. Happy shopping!\n",
        f"Welcome, {name}: your account is ready.",
    )


def _confirmed(event: OrderConfirmed, name: str) -> Rendered:
    # str() of the Decimal once: a format() of it parses a format spec each time.
    paid = f"{event.total!s} {event.currency}"
    return Rendered(
        "order_confirmed",
        f"Order {event.order_id} confirmed",
        f"Hello {name},\n\nwe received your payment of {paid} "
        f"and your order {event.order_id} is confirmed.\n",
        f"Order {event.order_id} confirmed: {paid} received.",
    )


def _cancelled(event: OrderCancelled, name: str) -> Rendered:
    why = CANCEL_REASONS.get(event.reason, event.reason)
    return Rendered(
        "order_cancelled",
        f"Order {event.order_id} cancelled",
        f"Hello {name},\n\nyour order {event.order_id} was cancelled because {why}.\n",
        f"Order {event.order_id} cancelled: {why}.",
    )


TEMPLATES: dict[type[Event], Callable[..., Rendered]] = {
    UserRegistered: _welcome,
    OrderConfirmed: _confirmed,
    OrderCancelled: _cancelled,
}


def render(event: Event, name: str) -> Rendered:
    return TEMPLATES[type(event)](event, name)
