from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command, Query


@frozen
class AddToCart(Command):
    user_id: str
    product_id: str
    quantity: int


@frozen
class SetCartQuantity(Command):
    user_id: str
    product_id: str
    quantity: int


@frozen
class RemoveFromCart(Command):
    user_id: str
    product_id: str


@frozen
class ClearCart(Command):
    user_id: str


@frozen
class GetCart(Query):
    user_id: str
