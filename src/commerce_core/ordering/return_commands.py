from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command


@frozen(kw_only=True)
class RequestReturn(Command):
    order_id: str
    requested_by: str  # a user id
    items: tuple[tuple[str, int], ...]  # (product_id, quantity)
    as_admin: bool = False


@frozen
class ReceiveReturn(Command):
    return_id: str
