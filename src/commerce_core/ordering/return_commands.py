from __future__ import annotations

from attrs import frozen

from commerce_core.ordering.returns import ReturnStatus
from commerce_core.shared.events import Command, Query


@frozen(kw_only=True)
class RequestReturn(Command):
    order_id: str
    requested_by: str  # a user id
    items: tuple[tuple[str, int], ...]  # (product_id, quantity)
    as_admin: bool = False


@frozen
class ReceiveReturn(Command):
    return_id: str


@frozen(kw_only=True)
class GetOrderReturns(Query):
    """The returns of one order, for its customer or an admin."""

    order_id: str
    requested_by: str  # a user id
    as_admin: bool = False


@frozen(kw_only=True)
class ListReturns(Query):
    """Every return in a status (all of them for None), for admins."""

    status: ReturnStatus | None = None
    page: int = 1
    page_size: int = 20
