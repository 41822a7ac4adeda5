"""Reports assembled from summed figures, the same way whichever store summed them.

An adapter sums its pre-aggregated rows over the period (and the facts of the products) and hands
the sums here: ordering, labels, the rounding of revenue to the currency's minor unit, and the
rule that a bucket whose figures came back to zero (every order in it cancelled) is not shown
live in one place, so every store answers with the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from commerce_core.reporting.model import (
    FunnelReport,
    InventoryReport,
    InventoryRow,
    LowStockReport,
    LowStockRow,
    SalesGrouping,
    SalesReport,
    SalesRow,
    SalesTotal,
)
from commerce_core.reporting.projection import Figures, FunnelStep, ProductFacts
from commerce_core.shared.errors import InvalidInput
from commerce_core.shared.money import minor_units

# The one rule for a report's period, for every store and edge: the first day not after the
# last, about three years at most (a daily PDF stays a readable size), and dates a store can add a
# day to.
MAX_PERIOD_DAYS = 3 * 366  # first and last day included
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def period_problems(date_from: date, date_to: date) -> list[tuple[str, str]]:
    """What is wrong with the period, as (``from`` or ``to``, message); empty when it is fine."""
    problems = [
        (name, f"must be from {EARLIEST.isoformat()} to {LATEST.isoformat()}")
        for name, day in (("from", date_from), ("to", date_to))
        if not EARLIEST <= day <= LATEST
    ]
    if not problems and date_from > date_to:
        problems.append(("to", "must be on or after from"))
    if not problems and (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        problems.append(("to", f"a report covers at most {MAX_PERIOD_DAYS} days"))
    return problems


def check_period(date_from: date, date_to: date) -> None:
    problems = period_problems(date_from, date_to)
    if problems:
        field, message = problems[0]
        raise InvalidInput(f"{field} {message}", field=field)


def revenue(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)))


def sales_report(
    date_from: date,
    date_to: date,
    group_by: SalesGrouping,
    buckets: Iterable[tuple[str, str, Figures]],
    totals: Iterable[tuple[str, Figures]],
    labels: Mapping[str, str] | None = None,
) -> SalesReport:
    """``buckets``: (key, currency, figures summed over the period) by the grouping's key (the ISO
    day, the product id, the category); ``totals``: (currency, figures) summed by day, where
    each order counts once. ``labels``: product names by id, for the product grouping."""
    merged: dict[tuple[str, str], Figures] = {}
    for key, currency, figures in buckets:
        merged[key, currency] = (
            merged[key, currency] + figures if (key, currency) in merged else figures
        )
    rows = tuple(
        SalesRow(
            key=key,
            label=(labels or {}).get(key, key) if group_by is SalesGrouping.PRODUCT else key,
            currency=currency,
            orders=figures.orders,
            units=figures.units,
            revenue=revenue(figures.revenue, currency),
        )
        for (key, currency), figures in sorted(merged.items())
        if not figures.is_zero
    )
    by_currency: dict[str, Figures] = {}
    for currency, figures in totals:
        by_currency[currency] = (
            by_currency[currency] + figures if currency in by_currency else figures
        )
    return SalesReport(
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        rows=rows,
        totals=tuple(
            SalesTotal(currency, figures.orders, figures.units, revenue(figures.revenue, currency))
            for currency, figures in sorted(by_currency.items())
            if not figures.is_zero
        ),
    )


def _listed(products: Iterable[ProductFacts]) -> list[ProductFacts]:
    return sorted((p for p in products if p.known), key=lambda p: (p.sku, p.product_id))


def inventory_report(products: Iterable[ProductFacts]) -> InventoryReport:
    """Every product reporting heard of, active or not, by sku."""
    rows = tuple(
        InventoryRow(
            product_id=p.product_id,
            sku=p.sku,
            name=p.name,
            category=p.category,
            on_hand=p.on_hand,
            reserved=p.reserved,
            available=p.available,
            low_stock_threshold=p.low_stock_threshold,
            received=p.received,
            sold=p.sold,
            returned=p.returned,
            adjusted=p.adjusted,
        )
        for p in _listed(products)
    )
    return InventoryReport(
        rows=rows,
        total_on_hand=sum(row.on_hand for row in rows),
        total_available=sum(row.available for row in rows),
    )


def is_low(product: ProductFacts) -> bool:
    """Active products whose available stock is at or under their threshold."""
    return product.known and product.active and product.available <= product.low_stock_threshold


def low_stock_report(products: Iterable[ProductFacts]) -> LowStockReport:
    rows = [
        LowStockRow(p.product_id, p.sku, p.name, p.available, p.low_stock_threshold)
        for p in _listed(products)
        if is_low(p)
    ]
    return LowStockReport(rows=tuple(sorted(rows, key=lambda r: (r.available, r.sku))))


def funnel_report(date_from: date, date_to: date, counts: Mapping[FunnelStep, int]) -> FunnelReport:
    return FunnelReport(
        date_from=date_from,
        date_to=date_to,
        carts=counts.get(FunnelStep.CARTS, 0),
        orders_created=counts.get(FunnelStep.ORDERS_CREATED, 0),
        orders_paid=counts.get(FunnelStep.ORDERS_PAID, 0),
        orders_confirmed=counts.get(FunnelStep.ORDERS_CONFIRMED, 0),
        orders_cancelled=counts.get(FunnelStep.ORDERS_CANCELLED, 0),
    )


def month_of(day: date) -> date:
    """The first day of ``day``'s month: the key of the monthly sales rollups."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    return month_of(month + timedelta(days=32))


def whole_months(date_from: date, date_to: date) -> tuple[date, date] | None:
    """The first days of the first and the last month that lie wholly inside the period."""
    first = date_from if date_from.day == 1 else next_month(month_of(date_from))
    after = month_of(date_to + timedelta(days=1))  # the month after the last whole one
    last = month_of(after - timedelta(days=1))
    return (first, last) if first <= last else None
