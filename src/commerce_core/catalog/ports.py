from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from attrs import field, frozen

from commerce_core.catalog.model import Product

SORTS = ("relevance", "price", "-price", "name", "newest")


@frozen(kw_only=True)
class ProductFilter:
    text: str | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20


@frozen
class ProductPage:
    items: tuple[Product, ...]
    total: int
    facets: Mapping[str, int] = field(factory=dict)  # matches per category (search only)


class ProductRepository(Protocol):
    def add(self, product: Product) -> None: ...

    async def get(self, product_id: str) -> Product | None: ...

    async def get_by_sku(self, sku: str) -> Product | None: ...

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        """One round trip for many ids; unknown ids are absent from the result."""
        ...

    async def search(self, criteria: ProductFilter) -> ProductPage:
        """Active products only, matching every word of ``text`` in name, description or sku."""
        ...
