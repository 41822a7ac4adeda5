from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command, Query


@frozen(kw_only=True)
class AdjustStock(Command):
    product_id: str
    delta: int
    reason: str
    reference: str | None = None


@frozen
class SetLowStockThreshold(Command):
    product_id: str
    threshold: int


@frozen
class GetStock(Query):
    product_id: str


@frozen
class ListMovements(Query):
    product_id: str
    limit: int = 1000


@frozen
class ListLowStock(Query):
    pass


@frozen(kw_only=True)
class AdjustStockBySku(Command):
    """``AdjustStock`` for callers that know the product by its sku (the CLI, CSV receipts)."""

    sku: str
    delta: int
    reason: str
    reference: str | None = None


@frozen
class LowStockReport(Query):
    """Products at or under their low-stock threshold, with their sku and name."""
