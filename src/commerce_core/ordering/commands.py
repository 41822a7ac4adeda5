from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command, Query


@frozen(kw_only=True)
class Checkout(Command):
    user_id: str
    payment_token: str
    order_id: str | None = None  # lets a caller (the idempotency layer) fix the id in advance


@frozen(kw_only=True)
class CancelOrder(Command):
    order_id: str
    requested_by: str  # a user id
    as_admin: bool = False


@frozen
class ShipOrder(Command):
    order_id: str


@frozen
class DeliverOrder(Command):
    order_id: str


@frozen
class ExpireReservations(Command):
    """The sweeper: cancels the pending orders whose reservation outlived its TTL."""

    limit: int = 500


@frozen(kw_only=True)
class GetOrder(Query):
    order_id: str
    requested_by: str
    as_admin: bool = False


@frozen(kw_only=True)
class ListOrders(Query):
    user_id: str
    page: int = 1
    page_size: int = 20
