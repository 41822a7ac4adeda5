"""Reorder suggestions: from each product's daily net sales, a demand forecast over the supplier's
lead time, a safety stock at the chosen service level, and the quantity that brings the stock up
to a target cover.

    safety stock  = z * sigma * sqrt(lead time)          z = NormalDist().inv_cdf(service level)
    reorder point = forecast demand over the lead time + safety stock
    order up to   = forecast demand over (lead time + horizon) + safety stock
    suggest       = ceil(order up to - available)   for each product with available <= reorder point

``sigma`` is the spread of the forecast's one-step-ahead errors in units a day (see ``forecast``).
The history comes through ``DemandHistory``; every reporting store can answer it from its sales
report (``SalesReportDemandHistory``), and a store that holds daily sales per product answers it
in one query.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from statistics import NormalDist
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from commerce_core.reporting.forecast import holt_winters
from commerce_core.reporting.model import InventoryReport, SalesGrouping
from commerce_core.reporting.ports import ReportReader
from commerce_core.shared.errors import InvalidInput

MAX_DAYS = 365
DEFAULT_HISTORY_DAYS = 26 * 7


@frozen
class DailyUnits:
    """Net units of one product sold on one UTC day (the sales report's rule of what counts)."""

    product_id: str
    day: date
    units: int


@runtime_checkable
class DemandHistory(Protocol):
    async def daily_units(self, date_from: date, date_to: date) -> Sequence[DailyUnits]:
        """Every (product, day) with net units sold between the two days, inclusive. Days
        without a sale may be left out: they count as zero."""
        ...


class SalesReportDemandHistory:
    """The daily series of any ``ReportReader``: one sales report by product per day. Right for
    the in-memory store; a database answers ``DemandHistory`` in one grouped query instead."""

    def __init__(self, reader: ReportReader) -> None:
        self._reader = reader

    async def daily_units(self, date_from: date, date_to: date) -> list[DailyUnits]:
        found: list[DailyUnits] = []
        day = date_from
        while day <= date_to:
            report = await self._reader.sales(day, day, SalesGrouping.PRODUCT)
            units: dict[str, int] = defaultdict(int)
            for row in report.rows:  # one row per product and currency
                units[row.key] += row.units
            found.extend(DailyUnits(p, day, u) for p, u in sorted(units.items()) if u)
            day += timedelta(days=1)
        return found


def demand_history_of(reader: ReportReader) -> DemandHistory:
    """The reader itself when it answers the daily series in one query, else its sales report
    read day by day."""
    if isinstance(reader, DemandHistory):
        return reader
    return SalesReportDemandHistory(reader)


def _whole_days(name: str) -> Callable[[object, object, object], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
            raise InvalidInput(
                f"{name} must be a whole number of days from 1 to {MAX_DAYS}", field=name
            )

    return check


def _check_service_level(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, float) or math.isnan(value) or not 0.5 <= value <= 0.999:
        raise InvalidInput(
            "service_level must be a fraction from 0.5 to 0.999", field="service_level"
        )


@frozen
class ReorderPolicy:
    lead_time_days: int = field(default=7, validator=_whole_days("lead_time_days"))
    service_level: float = field(default=0.95, validator=_check_service_level)
    # Days of demand the order should cover after it arrives (the review period).
    horizon_days: int = field(default=14, validator=_whole_days("horizon_days"))
    history_days: int = field(default=DEFAULT_HISTORY_DAYS, validator=_whole_days("history_days"))

    @property
    def z(self) -> float:
        return NormalDist().inv_cdf(self.service_level)

    def history_window(self, today: date) -> tuple[date, date]:
        """The full days before ``today`` (today's sales are still coming in)."""
        last = today - timedelta(days=1)
        return last - timedelta(days=self.history_days - 1), last


@frozen
class ReorderSuggestion:
    product_id: str
    sku: str
    name: str
    available: int
    daily_demand: float  # mean forecast units a day over the lead time
    lead_time_demand: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    suggested_quantity: int
    method: str  # how the demand was forecast: holt-winters, mean


@frozen
class ReorderReport:
    as_of: date  # the day the suggestions are for; history ends the day before
    lead_time_days: int
    service_level: float
    horizon_days: int
    z: float
    rows: tuple[
        ReorderSuggestion, ...
    ]  # most urgent first (available minus reorder point), then sku


def dense_series(
    rows: Iterable[DailyUnits], date_from: date, date_to: date
) -> dict[str, list[float]]:
    """One figure a day per product, zeros where it sold nothing."""
    length = (date_to - date_from).days + 1
    series: dict[str, list[float]] = {}
    for row in rows:
        offset = (row.day - date_from).days
        if 0 <= offset < length:
            series.setdefault(row.product_id, [0.0] * length)[offset] += row.units
    return series


def plan_reorders(
    inventory: InventoryReport,
    history: Mapping[str, Sequence[float]],
    policy: ReorderPolicy,
    as_of: date,
) -> ReorderReport:
    """Pure and CPU-bound (a grid search per product that sold): edges run it off the event loop."""
    z = policy.z
    lead, cover = policy.lead_time_days, policy.lead_time_days + policy.horizon_days
    rows: list[ReorderSuggestion] = []
    for stock in inventory.rows:
        forecast = holt_winters(history.get(stock.product_id, ()), cover)
        lead_demand = forecast.over(lead)
        safety = z * forecast.sigma * math.sqrt(lead)
        reorder_point = lead_demand + safety
        order_up_to = forecast.over(cover) + safety
        quantity = math.ceil(round(order_up_to - stock.available, 6))
        if stock.available > reorder_point or quantity <= 0:
            continue
        rows.append(
            ReorderSuggestion(
                product_id=stock.product_id,
                sku=stock.sku,
                name=stock.name,
                available=stock.available,
                daily_demand=round(lead_demand / lead, 2),
                lead_time_demand=round(lead_demand, 2),
                safety_stock=round(safety, 2),
                reorder_point=round(reorder_point, 2),
                order_up_to=round(order_up_to, 2),
                suggested_quantity=quantity,
                method=forecast.method,
            )
        )
    rows.sort(key=lambda r: (r.available - r.reorder_point, r.sku))
    return ReorderReport(
        as_of=as_of,
        lead_time_days=policy.lead_time_days,
        service_level=policy.service_level,
        horizon_days=policy.horizon_days,
        z=round(z, 4),
        rows=tuple(rows),
    )


async def gather_demand(
    reader: ReportReader, demand: DemandHistory, policy: ReorderPolicy, today: date
) -> tuple[InventoryReport, dict[str, list[float]]]:
    """The two reads a plan needs: stock figures now, and the daily series of the window."""
    date_from, date_to = policy.history_window(today)
    inventory = await reader.inventory()
    rows = await demand.daily_units(date_from, date_to)
    return inventory, dense_series(rows, date_from, date_to)
