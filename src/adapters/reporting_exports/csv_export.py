"""Reports as CSV: a header, one line per row, then (sales, inventory) the totals.

The first column, ``kind``, says ``row`` or ``total`` so that a spreadsheet filter or a program
tells the totals from the rows without guessing. Sales totals are one line per currency: sums of
different currencies are never added up. Money is the same decimal string as in the JSON report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from commerce_core.reporting.model import InventoryReport, LowStockReport, SalesReport

SALES_COLUMNS = ("kind", "key", "label", "currency", "orders", "units", "revenue")
INVENTORY_COLUMNS = (
    "kind",
    "product_id",
    "sku",
    "name",
    "category",
    "on_hand",
    "reserved",
    "available",
    "low_stock_threshold",
    "received",
    "sold",
    "returned",
    "adjusted",
)
LOW_STOCK_COLUMNS = ("product_id", "sku", "name", "available", "threshold")
# A text cell that starts with one of these is a formula to a spreadsheet (CSV injection):
# such a cell gets a leading apostrophe, which spreadsheets show as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _write(header: Sequence[str], lines: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(header)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")


def sales_csv(report: SalesReport) -> bytes:
    rows = [
        ("row", text(row.key), text(row.label), row.currency, row.orders, row.units, row.revenue)
        for row in report.rows
    ]
    totals = [
        ("total", "", "", total.currency, total.orders, total.units, total.revenue)
        for total in report.totals
    ]
    return _write(SALES_COLUMNS, [*rows, *totals])


def inventory_csv(report: InventoryReport) -> bytes:
    rows = [
        (
            "row",
            r.product_id,
            text(r.sku),
            text(r.name),
            text(r.category),
            r.on_hand,
            r.reserved,
            r.available,
            r.low_stock_threshold,
            r.received,
            r.sold,
            r.returned,
            r.adjusted,
        )
        for r in report.rows
    ]
    total = (
        "total",
        "",
        "",
        "",
        "",
        report.total_on_hand,
        "",
        report.total_available,
        "",
        "",
        "",
        "",
        "",
    )
    return _write(INVENTORY_COLUMNS, [*rows, total])


def low_stock_csv(report: LowStockReport) -> bytes:
    return _write(
        LOW_STOCK_COLUMNS,
        [(r.product_id, text(r.sku), text(r.name), r.available, r.threshold) for r in report.rows],
    )
