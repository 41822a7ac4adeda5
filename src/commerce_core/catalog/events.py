from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from commerce_core.shared.events import Event


@frozen(kw_only=True)
class ProductCreated(Event):
    product_id: str
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    currency: str
    initial_stock: int
    low_stock_threshold: int


@frozen(kw_only=True)
class ProductUpdated(Event):
    product_id: str
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    currency: str
    active: bool
