from __future__ import annotations

from attrs import frozen

from commerce_core.shared.money import Money


@frozen
class CartLineView:
    product_id: str
    name: str
    quantity: int
    unit_price: Money

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@frozen
class CartView:
    items: tuple[CartLineView, ...]
    currency: str | None

    @property
    def total(self) -> Money | None:
        if self.currency is None:
            return None
        return Money.sum((line.subtotal for line in self.items), self.currency)
