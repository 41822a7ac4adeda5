"""Reports for admins: sales, stock, low stock and the cart-to-order funnel, as JSON, CSV or PDF.

Read-only: every figure comes from the container's ``reporting_store`` (a ``ReportReader``), which
may be a read replica or a warehouse. CSV and PDF are rendered by ``adapters.reporting_exports``
in a worker thread, so a long PDF does not hold up the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from attrs import frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from adapters.reporting_exports import (
    inventory_csv,
    inventory_pdf,
    low_stock_csv,
    low_stock_pdf,
    sales_csv,
    sales_pdf,
)
from commerce_core.reporting.model import (
    FunnelReport,
    InventoryReport,
    LowStockReport,
    SalesGrouping,
    SalesReport,
)
from commerce_core.reporting.ports import ReportReader
from commerce_core.reporting.reports import period_problems
from entrypoints.http.routing import ADMIN, Operation, json, query
from entrypoints.http.schema import RequestInvalid, spec

R = TypeVar("R")
FORMATS = ("json", "csv", "pdf")
GROUPINGS = tuple(grouping.value for grouping in SalesGrouping)
CSV, PDF = "text/csv; charset=utf-8", "application/pdf"
_NOT_CACHED = {"Cache-Control": "no-store"}

# -- requests ----------------------------------------------------------------------------------


@frozen
class SalesQuery:
    from_: date = spec(description="First day (UTC), included: YYYY-MM-DD")
    to: date = spec(description="Last day (UTC), included; at most about 3 years after from")
    group_by: str = spec(default="day", enum=GROUPINGS)
    format: str = spec(default="json", enum=FORMATS)


@frozen
class PeriodQuery:
    from_: date = spec(description="First day (UTC), included: YYYY-MM-DD")
    to: date = spec(description="Last day (UTC), included; at most about 3 years after from")


@frozen
class FormatQuery:
    format: str = spec(default="json", enum=FORMATS)


# -- answers -----------------------------------------------------------------------------------


@frozen
class SalesRowOut:
    key: str = spec(description="The ISO day, the product id or the category")
    label: str = spec(description="What a person reads: the day, the product's name, the category")
    currency: str = spec()
    orders: int = spec()
    units: int = spec()
    revenue: Decimal = spec()


@frozen
class SalesTotalOut:
    currency: str
    orders: int
    units: int
    revenue: Decimal


@frozen
class SalesReportOut:
    """Net sales (an order confirmed then cancelled or refunded no longer counts), by UTC day.
    Totals are per currency; figures of different currencies are never added up."""

    date_from: date
    date_to: date
    group_by: str = spec(enum=GROUPINGS)
    rows: list[SalesRowOut] = spec()
    totals: list[SalesTotalOut] = spec()


@frozen
class InventoryRowOut:
    product_id: str
    sku: str
    name: str
    category: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    received: int
    sold: int
    returned: int
    adjusted: int = spec(description="Admin and damage adjustments, signed")


@frozen
class InventoryReportOut:
    rows: list[InventoryRowOut]
    total_on_hand: int
    total_available: int


@frozen
class LowStockRowOut:
    product_id: str
    sku: str
    name: str
    available: int
    threshold: int


@frozen
class LowStockReportOut:
    rows: list[LowStockRowOut]


@frozen
class FunnelReportOut:
    """From cart to confirmed order over a period: each step counts distinct carts or orders."""

    date_from: date
    date_to: date
    carts: int
    orders_created: int
    orders_paid: int
    orders_confirmed: int
    orders_cancelled: int


def present_sales(report: SalesReport) -> SalesReportOut:
    return SalesReportOut(
        report.date_from,
        report.date_to,
        report.group_by.value,
        [
            SalesRowOut(r.key, r.label, r.currency, r.orders, r.units, r.revenue)
            for r in report.rows
        ],
        [SalesTotalOut(t.currency, t.orders, t.units, t.revenue) for t in report.totals],
    )


def present_inventory(report: InventoryReport) -> InventoryReportOut:
    return InventoryReportOut(
        [
            InventoryRowOut(
                r.product_id,
                r.sku,
                r.name,
                r.category,
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
        ],
        report.total_on_hand,
        report.total_available,
    )


def present_low_stock(report: LowStockReport) -> LowStockReportOut:
    return LowStockReportOut(
        [LowStockRowOut(r.product_id, r.sku, r.name, r.available, r.threshold) for r in report.rows]
    )


def present_funnel(report: FunnelReport) -> FunnelReportOut:
    return FunnelReportOut(
        report.date_from,
        report.date_to,
        report.carts,
        report.orders_created,
        report.orders_paid,
        report.orders_confirmed,
        report.orders_cancelled,
    )


# -- what endpoints use ------------------------------------------------------------------------


def reports(request: Request) -> ReportReader:
    reader: ReportReader = request.app.state.container.reporting_store()
    return reader


def check_period(date_from: date, date_to: date) -> None:
    """A rule between two parameters, which their JSON Schema cannot state."""
    problems = period_problems(date_from, date_to)
    if problems:
        raise RequestInvalid(problems)


async def render(
    report: R,
    fmt: str,
    filename: str,
    *,
    as_json: Callable[[R], object],
    as_csv: Callable[[R], bytes],
    as_pdf: Callable[[R], bytes],
) -> Response:
    if fmt == "json":
        return json(as_json(report), headers=_NOT_CACHED)
    to_file, media, suffix = (as_csv, CSV, "csv") if fmt == "csv" else (as_pdf, PDF, "pdf")
    content = await run_in_threadpool(to_file, report)
    headers = {**_NOT_CACHED, "Content-Disposition": f'attachment; filename="{filename}.{suffix}"'}
    return Response(content, headers=headers, media_type=media)


# -- endpoints ---------------------------------------------------------------------------------


async def sales(request: Request) -> Response:
    q = query(request, SalesQuery)
    check_period(q.from_, q.to)
    report = await reports(request).sales(q.from_, q.to, SalesGrouping(q.group_by))
    return await render(
        report,
        q.format,
        f"sales_{q.group_by}_{q.from_}_{q.to}",
        as_json=present_sales,
        as_csv=sales_csv,
        as_pdf=sales_pdf,
    )


async def inventory(request: Request) -> Response:
    q = query(request, FormatQuery)
    report = await reports(request).inventory()
    today = request.app.state.clock.now().date()
    return await render(
        report,
        q.format,
        f"inventory_{today}",
        as_json=present_inventory,
        as_csv=inventory_csv,
        as_pdf=lambda r: inventory_pdf(r, today=today),
    )


async def low_stock(request: Request) -> Response:
    q = query(request, FormatQuery)
    report = await reports(request).low_stock()
    today = request.app.state.clock.now().date()
    return await render(
        report,
        q.format,
        f"low-stock_{today}",
        as_json=present_low_stock,
        as_csv=low_stock_csv,
        as_pdf=lambda r: low_stock_pdf(r, today=today),
    )


async def funnel(request: Request) -> Response:
    q = query(request, PeriodQuery)
    check_period(q.from_, q.to)
    report = await reports(request).funnel(q.from_, q.to)
    return json(present_funnel(report), headers=_NOT_CACHED)


_FILES = (CSV.split(";")[0], PDF)
# reads="replica": the read models trail the events anyway, so a replica's lag is no loss.
OPERATIONS = [
    Operation(
        method="GET",
        path="/reports/sales",
        endpoint=sales,
        tag="reports",
        roles=ADMIN,
        reads="replica",
        summary="Net sales over a period by day, product or category; totals per "
        "currency; JSON, CSV or PDF (a table and a chart)",
        query=SalesQuery,
        responses={200: SalesReportOut},
        alternative_media=_FILES,
    ),
    Operation(
        method="GET",
        path="/reports/inventory",
        endpoint=inventory,
        tag="reports",
        roles=ADMIN,
        reads="replica",
        summary="Stock of every product and its movements by kind; JSON, CSV or PDF",
        query=FormatQuery,
        responses={200: InventoryReportOut},
        alternative_media=_FILES,
    ),
    Operation(
        method="GET",
        path="/reports/low-stock",
        endpoint=low_stock,
        tag="reports",
        roles=ADMIN,
        reads="replica",
        summary="Products at or under their low-stock threshold, fewest "
        "available first; JSON, CSV or PDF",
        query=FormatQuery,
        responses={200: LowStockReportOut},
        alternative_media=_FILES,
    ),
    Operation(
        method="GET",
        path="/reports/funnel",
        endpoint=funnel,
        tag="reports",
        roles=ADMIN,
        reads="replica",
        summary="From cart to confirmed order over a period",
        query=PeriodQuery,
        responses={200: FunnelReportOut},
    ),
]
