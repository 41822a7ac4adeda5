from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from commerce_core.catalog.model import DEFAULT_LOW_STOCK_THRESHOLD
from commerce_core.shared.events import Command, Query


@frozen(kw_only=True)
class CreateProduct(Command):
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    currency: str
    stock: int = 0
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD


@frozen(kw_only=True)
class UpdateProduct(Command):
    product_id: str
    name: str | None = None
    description: str | None = None
    category: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    active: bool | None = None


@frozen
class DeactivateProduct(Command):
    product_id: str


@frozen
class GetProduct(Query):
    product_id: str
    include_inactive: bool = False


@frozen(kw_only=True)
class ListProducts(Query):
    text: str | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
