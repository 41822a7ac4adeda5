from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Event


@frozen(kw_only=True)
class CartStarted(Event):
    """A customer put the first item into an empty cart: the top of the sales funnel."""

    user_id: str
    product_id: str
    quantity: int
