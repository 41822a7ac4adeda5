from __future__ import annotations

from datetime import datetime

from attrs import define, field

from commerce_core.cart.events import CartStarted
from commerce_core.inventory.model import MAX_QUANTITY, check_quantity
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import CartItemNotFound, InsufficientStock, InvalidInput

MAX_LINES = 100


@define(slots=False, eq=False)
class Cart(Aggregate):
    """Quantities by product id. Prices are not kept: the cart shows the catalog's current price.
    The first item put into an empty cart records ``CartStarted`` (the top of the sales funnel)."""

    user_id: str
    lines: dict[str, int] = field(factory=dict)
    updated_at: datetime | None = None

    def add(self, product_id: str, quantity: int, *, available: int, now: datetime) -> None:
        check_quantity(quantity)
        was_empty = not self.lines
        new_quantity = self.lines.get(product_id, 0) + quantity
        self._set(product_id, new_quantity, available=available, now=now)
        if was_empty:
            self._record(
                CartStarted(
                    occurred_at=now,
                    correlation_id=self.user_id,
                    user_id=self.user_id,
                    product_id=product_id,
                    quantity=quantity,
                )
            )

    def set_quantity(
        self, product_id: str, quantity: int, *, available: int, now: datetime
    ) -> None:
        check_quantity(quantity)
        if product_id not in self.lines:
            raise CartItemNotFound()
        self._set(product_id, quantity, available=available, now=now)

    def remove(self, product_id: str, now: datetime) -> None:
        if self.lines.pop(product_id, None) is not None:
            self.updated_at = now

    def _set(self, product_id: str, quantity: int, *, available: int, now: datetime) -> None:
        if quantity > MAX_QUANTITY:
            raise InvalidInput(
                f"at most {MAX_QUANTITY} units of one product per order", field="quantity"
            )
        if quantity > available:
            raise InsufficientStock(
                f"{quantity} requested, {available} available",
                product_id=product_id,
                requested=quantity,
                available=available,
            )
        if product_id not in self.lines and len(self.lines) >= MAX_LINES:
            raise InvalidInput(f"a cart holds at most {MAX_LINES} products", field="product_id")
        self.lines[product_id] = quantity
        self.updated_at = now

    @property
    def is_empty(self) -> bool:
        return not self.lines
