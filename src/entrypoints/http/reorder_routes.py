"""Reorder suggestions for admins, beside the low-stock report: the demand forecast of each product
(Holt-Winters on its daily net sales), its reorder point at the chosen service level and lead time,
and the quantity that covers the lead time plus the horizon. The forecast runs in a worker thread:
a grid search per product must not hold up the event loop."""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commerce_core.reporting.ports import ReportReader
from commerce_core.reporting.reorder import (
    MAX_DAYS,
    ReorderPolicy,
    ReorderReport,
    demand_history_of,
    gather_demand,
    plan_reorders,
)
from entrypoints.http.routing import ADMIN, Operation, json, query
from entrypoints.http.schema import spec

SERVICE_LEVEL_PATTERN = r"^0\.[5-9][0-9]{0,2}$"  # 0.5 to 0.999, what ReorderPolicy takes


@frozen
class ReorderQuery:
    lead_time_days: int = spec(
        default=7, minimum=1, maximum=MAX_DAYS, description="Supplier lead time in days"
    )
    service_level: str = spec(
        default="0.95",
        pattern=SERVICE_LEVEL_PATTERN,
        description="Chance of not running out during the lead time, from 0.5 to 0.999",
    )
    horizon_days: int = spec(
        default=14,
        minimum=1,
        maximum=MAX_DAYS,
        description="Days of demand an order covers after it arrives",
    )
    history_days: int = spec(
        default=182,
        minimum=14,
        maximum=MAX_DAYS,
        description="Days of sales the forecast learns from",
    )


@frozen
class ReorderSuggestionOut:
    """Units: ``daily_demand`` is the forecast a day over the lead time; the other figures are
    units over the lead time (``lead_time_demand``, ``safety_stock``, ``reorder_point``) or up to
    the target cover (``order_up_to``)."""

    product_id: str
    sku: str
    name: str
    available: int
    daily_demand: Decimal
    lead_time_demand: Decimal
    safety_stock: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    suggested_quantity: int
    method: str = spec(enum=("holt-winters", "mean", "none"))


@frozen
class ReorderReportOut:
    """Products whose available stock is at or below their reorder point, most urgent first.
    ``as_of`` is the day (UTC) the suggestions are for: the history ends the day before. ``z`` is
    the standard normal quantile of the service level."""

    as_of: str
    lead_time_days: int
    service_level: str
    horizon_days: int
    z: Decimal
    rows: list[ReorderSuggestionOut]


def _units(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def present_reorders(report: ReorderReport) -> ReorderReportOut:
    return ReorderReportOut(
        as_of=report.as_of.isoformat(),
        lead_time_days=report.lead_time_days,
        service_level=f"{report.service_level:g}",
        horizon_days=report.horizon_days,
        z=Decimal(f"{report.z:.4f}"),
        rows=[
            ReorderSuggestionOut(
                product_id=row.product_id,
                sku=row.sku,
                name=row.name,
                available=row.available,
                daily_demand=_units(row.daily_demand),
                lead_time_demand=_units(row.lead_time_demand),
                safety_stock=_units(row.safety_stock),
                reorder_point=_units(row.reorder_point),
                order_up_to=_units(row.order_up_to),
                suggested_quantity=row.suggested_quantity,
                method=row.method,
            )
            for row in report.rows
        ],
    )


async def reorder_suggestions(request: Request) -> Response:
    q = query(request, ReorderQuery)
    policy = ReorderPolicy(
        lead_time_days=q.lead_time_days,
        service_level=float(q.service_level),
        horizon_days=q.horizon_days,
        history_days=q.history_days,
    )
    container = request.app.state.container
    reader: ReportReader = container.reporting_store()
    today = container.clock().now().date()
    # The SQL read models and the warehouse answer the daily series in one query (through a
    # replica when there is one); the memory store from its sales report, day by day.
    demand = demand_history_of(reader)
    stock, series = await gather_demand(reader, demand, policy, today)
    report = await run_in_threadpool(plan_reorders, stock, series, policy, today)
    return json(present_reorders(report), headers={"Cache-Control": "no-store"})


OPERATIONS = [
    Operation(
        method="GET",
        path="/reports/reorder-suggestions",
        endpoint=reorder_suggestions,
        tag="reports",
        roles=ADMIN,
        summary="Products to reorder: forecast demand over the lead time plus safety stock at "
        "the service level, and the quantity up to the target cover",
        query=ReorderQuery,
        responses={200: ReorderReportOut},
        reads="replica",
    ),
]
