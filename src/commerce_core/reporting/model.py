"""What a report says: plain frozen values that the HTTP, CLI, CSV and PDF edges render."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from attrs import frozen


class SalesGrouping(enum.Enum):
    DAY = "day"
    PRODUCT = "product"
    CATEGORY = "category"


@frozen
class SalesRow:
    """One bucket: a day (``key`` is the ISO date), a product (its id) or a category (its name).
    Figures are net: an order confirmed then cancelled or refunded no longer counts."""

    key: str
    label: str  # what a person reads: the date, the product's name, the category
    currency: str
    orders: int
    units: int
    revenue: Decimal


@frozen
class SalesTotal:
    currency: str
    orders: int
    units: int
    revenue: Decimal


@frozen
class SalesReport:
    date_from: date  # inclusive, UTC days
    date_to: date  # inclusive
    group_by: SalesGrouping
    rows: tuple[SalesRow, ...]  # ordered by key
    totals: tuple[SalesTotal, ...]  # one per currency, ordered by currency


@frozen
class InventoryRow:
    product_id: str
    sku: str
    name: str
    category: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    received: int  # units in by movement kind over the product's whole history
    sold: int
    returned: int
    adjusted: int  # admin and damage adjustments, signed


@frozen
class InventoryReport:
    rows: tuple[InventoryRow, ...]  # ordered by sku
    total_on_hand: int
    total_available: int


@frozen
class LowStockRow:
    product_id: str
    sku: str
    name: str
    available: int
    threshold: int


@frozen
class LowStockReport:
    rows: tuple[LowStockRow, ...]  # ordered by available, then sku


@frozen
class FunnelReport:
    """From cart to confirmed order over a period: each step counts distinct carts or orders."""

    date_from: date
    date_to: date
    carts: int
    orders_created: int
    orders_paid: int
    orders_confirmed: int
    orders_cancelled: int
