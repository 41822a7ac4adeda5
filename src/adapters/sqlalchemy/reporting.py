"""Reporting's read models and event journal in SQL tables (SQLite and PostgreSQL).

``ingest`` folds a batch in one transaction with a fixed number of statements, whatever the
batch's size: the seen message ids, the facts of the orders and products the batch touches
(``projection.wanted_*``), then executemany inserts and upserts of what the projection changed.
Sales figures are pre-aggregated by day (and product or category), so a report sums a range of
one table. PostgreSQL serialises ingests with a transaction-scoped advisory lock (the facts are
read, then written), SQLite with its single writer.

The reports (and the daily units of the demand forecast) may be read through a ``ReadRunner``,
the read router's ``run_read`` when read replicas are configured: it picks the server (a replica
for a replica-tolerant request, the primary otherwise). Ingest and reset always write the primary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters import wire
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.demand_history import daily_units_on
from commerce_core.reporting.model import (
    FunnelReport,
    InventoryReport,
    LowStockReport,
    SalesGrouping,
    SalesReport,
)
from commerce_core.reporting.projection import (
    Changes,
    Figures,
    FunnelStep,
    OrderFacts,
    OrderLineFacts,
    ProductFacts,
    Projection,
    SoldLine,
    wanted_orders,
    wanted_products,
)
from commerce_core.reporting.reorder import DailyUnits
from commerce_core.reporting.reports import (
    check_period,
    funnel_report,
    inventory_report,
    low_stock_report,
    month_of,
    next_month,
    sales_report,
    whole_months,
)
from commerce_core.shared.events import Event

T = TypeVar("T")
CHUNK = 1000  # keys per IN list: well under both databases' parameter limits
_INGEST_LOCK = 0x7265706F  # "repo": any constant shared by every process
_JOURNAL_LOCK = 0x6A726E6C  # "jrnl"

_KEY_COLUMN = {
    SalesGrouping.DAY: "day",
    SalesGrouping.PRODUCT: "product_id",
    SalesGrouping.CATEGORY: "category",
}
_FIGURE_TABLES = (
    t.reporting_sales_by_day,
    t.reporting_sales_by_product,
    t.reporting_sales_by_product_month,
    t.reporting_sales_by_category,
)
_READ_MODEL_TABLES = (
    t.reporting_seen,
    t.reporting_products,
    t.reporting_orders,
    *_FIGURE_TABLES,
    t.reporting_funnel,
)


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def to_milli(amount: Decimal) -> int:
    milli = amount.scaleb(3)
    if milli != milli.to_integral_value():
        raise ValueError(f"{amount} has more than 3 decimals")
    return int(milli)


def from_milli(milli: int | Decimal) -> Decimal:
    return Decimal(int(milli)).scaleb(-3)


# -- facts <-> rows -----------------------------------------------------------------------------


def _product_row(facts: ProductFacts) -> dict[str, Any]:
    return {
        "product_id": facts.product_id,
        "known": facts.known,
        "sku": facts.sku,
        "name": facts.name,
        "category": facts.category,
        "active": facts.active,
        "low_stock_threshold": facts.low_stock_threshold,
        "on_hand": facts.on_hand,
        "reserved": facts.reserved,
        "stock_version": facts.stock_version,
        "received": facts.received,
        "returned": facts.returned,
        "adjusted": facts.adjusted,
    }


def _product_from(row: Any) -> ProductFacts:
    return ProductFacts(**dict(row._mapping))


def order_to_json(facts: OrderFacts) -> dict[str, Any]:
    return {
        "currency": facts.currency,
        "lines": None
        if facts.lines is None
        else [[line.product_id, line.quantity, str(line.unit_price)] for line in facts.lines],
        "confirmed_on": None if facts.confirmed_on is None else facts.confirmed_on.isoformat(),
        "reversed": facts.reversed,
        "refunded": str(facts.refunded),
        "returned": [list(item) for item in facts.returned],
        "categories": [list(item) for item in facts.categories],
        "sold": [[s.product_id, s.category, s.units, str(s.revenue)] for s in facts.sold],
        "steps": sorted(step.value for step in facts.steps),
    }


def order_from_json(order_id: str, data: dict[str, Any]) -> OrderFacts:
    lines = data["lines"]
    confirmed_on = data["confirmed_on"]
    return OrderFacts(
        order_id=order_id,
        currency=data["currency"],
        lines=None
        if lines is None
        else tuple(OrderLineFacts(pid, int(qty), Decimal(price)) for pid, qty, price in lines),
        confirmed_on=None if confirmed_on is None else date.fromisoformat(confirmed_on),
        reversed=bool(data["reversed"]),
        refunded=Decimal(data["refunded"]),
        returned=tuple((pid, int(qty)) for pid, qty in data["returned"]),
        categories=tuple((pid, category) for pid, category in data["categories"]),
        sold=tuple(
            SoldLine(pid, category, int(units), Decimal(revenue))
            for pid, category, units, revenue in data["sold"]
        ),
        steps=frozenset(FunnelStep(step) for step in data["steps"]),
    )


def _figures_row(figures: Figures) -> dict[str, int]:
    return {
        "orders": figures.orders,
        "units": figures.units,
        "revenue_milli": to_milli(figures.revenue),
    }


def _figures_from(row: Any) -> Figures:
    return Figures(int(row.orders), int(row.units), from_milli(row.revenue_milli))


# (key, currency, figures) by the grouping's key; (currency, figures) in all; product names
_SalesRows = tuple[list[tuple[str, str, Figures]], list[tuple[str, Figures]], dict[str, str]]


class ReadRunner(Protocol):
    """Runs ``read`` on a connection of the server it picks (a read replica, or the primary)."""

    async def __call__(self, read: Callable[[AsyncConnection], Awaitable[T]]) -> T: ...


class SqlReportingStore:
    def __init__(self, database: Database, *, reader: ReadRunner | None = None) -> None:
        self._db = database
        self._reader = reader  # reports only: ingest and reset write the primary

    # -- ReportingStore -----------------------------------------------------------------------

    async def ingest(self, events: Sequence[Event]) -> int:
        unique: dict[str, Event] = {}
        for event in events:
            unique.setdefault(event.message_id, event)
        if not unique:
            return 0
        async with self._db.transaction() as conn:
            await self._lock(conn, _INGEST_LOCK)
            seen = await self._seen(conn, list(unique))
            new = [event for message_id, event in unique.items() if message_id not in seen]
            if not new:
                return 0
            orders = await self._orders(conn, sorted(wanted_orders(new)))
            products = await self._products(conn, sorted(wanted_products(new, orders)))
            changes = Projection(products, orders).fold(new)
            await conn.execute(
                sa.insert(t.reporting_seen), [{"message_id": e.message_id} for e in new]
            )
            await self._write(conn, changes)
        return len(new)

    async def reset(self) -> None:
        async with self._db.transaction() as conn:
            await self._lock(conn, _INGEST_LOCK)
            for table in _READ_MODEL_TABLES:
                await conn.execute(sa.delete(table))

    # -- ReportReader -------------------------------------------------------------------------

    async def sales(self, date_from: date, date_to: date, group_by: SalesGrouping) -> SalesReport:
        check_period(date_from, date_to)
        table = {
            SalesGrouping.DAY: t.reporting_sales_by_day,
            SalesGrouping.PRODUCT: t.reporting_sales_by_product,
            SalesGrouping.CATEGORY: t.reporting_sales_by_category,
        }[group_by]
        key = table.c[_KEY_COLUMN[group_by]]

        async def read(conn: AsyncConnection) -> _SalesRows:
            if group_by is SalesGrouping.PRODUCT:
                rows = await _product_sums(conn, date_from, date_to)
            else:
                query = _summed(table, [key, table.c.currency], table.c.day, date_from, date_to)
                rows = list(await conn.execute(query))
            buckets = [(_key_text(row[0]), row.currency, _figures_from(row)) for row in rows]
            day = t.reporting_sales_by_day
            totals = [
                (row.currency, _figures_from(row))
                for row in await conn.execute(
                    _summed(day, [day.c.currency], day.c.day, date_from, date_to)
                )
            ]
            labels: dict[str, str] = {}
            if group_by is SalesGrouping.PRODUCT:
                p = t.reporting_products
                result = await conn.execute(sa.select(p.c.product_id, p.c.name).where(p.c.known))
                labels = {row.product_id: row.name for row in result}
            return buckets, totals, labels

        buckets, totals, labels = await self._read(read)
        return sales_report(date_from, date_to, group_by, buckets, totals, labels)

    async def inventory(self) -> InventoryReport:
        return inventory_report(await self._all_products())

    async def low_stock(self) -> LowStockReport:
        return low_stock_report(await self._all_products())

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport:
        check_period(date_from, date_to)
        f = t.reporting_funnel
        query = (
            sa.select(f.c.step, sa.func.sum(f.c.count).label("total"))
            .where(f.c.day >= date_from, f.c.day <= date_to)
            .group_by(f.c.step)
        )

        async def read(conn: AsyncConnection) -> dict[FunnelStep, int]:
            return {FunnelStep(row.step): int(row.total) for row in await conn.execute(query)}

        return funnel_report(date_from, date_to, await self._read(read))

    # -- DemandHistory ------------------------------------------------------------------------

    async def daily_units(self, date_from: date, date_to: date) -> list[DailyUnits]:
        return await self._read(lambda conn: daily_units_on(conn, date_from, date_to))

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    async def _lock(conn: AsyncConnection, key: int) -> None:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    async def _seen(self, conn: AsyncConnection, message_ids: list[str]) -> set[str]:
        s = t.reporting_seen
        seen: set[str] = set()
        for chunk in _chunks(message_ids):
            result = await conn.execute(sa.select(s.c.message_id).where(s.c.message_id.in_(chunk)))
            seen.update(result.scalars())
        return seen

    async def _orders(self, conn: AsyncConnection, order_ids: list[str]) -> dict[str, OrderFacts]:
        o = t.reporting_orders
        orders: dict[str, OrderFacts] = {}
        for chunk in _chunks(order_ids):
            result = await conn.execute(sa.select(o).where(o.c.order_id.in_(chunk)))
            for row in result:
                orders[row.order_id] = order_from_json(row.order_id, row.facts)
        return orders

    async def _products(
        self, conn: AsyncConnection, product_ids: list[str]
    ) -> dict[str, ProductFacts]:
        p = t.reporting_products
        products: dict[str, ProductFacts] = {}
        for chunk in _chunks(product_ids):
            for row in await conn.execute(sa.select(p).where(p.c.product_id.in_(chunk))):
                products[row.product_id] = _product_from(row)
        return products

    async def _all_products(self) -> list[ProductFacts]:
        async def read(conn: AsyncConnection) -> list[ProductFacts]:
            rows = await conn.execute(sa.select(t.reporting_products))
            return [_product_from(row) for row in rows]

        return await self._read(read)

    async def _read(self, read: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """A report's queries on one connection: of the reader's server when there is a reader,
        else of the primary, in a transaction as before (on SQLite, queued with the writers)."""
        if self._reader is not None:
            return await self._reader(read)
        async with self._db.transaction() as conn:
            return await read(conn)

    async def _write(self, conn: AsyncConnection, changes: Changes) -> None:
        if changes.products:
            await _replace(
                conn,
                t.reporting_products,
                ["product_id"],
                [_product_row(p) for p in changes.products.values()],
            )
        if changes.orders:
            await _replace(
                conn,
                t.reporting_orders,
                ["order_id"],
                [
                    {"order_id": o.order_id, "facts": order_to_json(o)}
                    for o in changes.orders.values()
                ],
            )
        await _add_figures(
            conn,
            t.reporting_sales_by_day,
            ["day", "currency"],
            [
                {"day": day, "currency": currency, **_figures_row(figures)}
                for (day, currency), figures in changes.sales_by_day.items()
            ],
        )
        await _add_figures(
            conn,
            t.reporting_sales_by_product,
            ["day", "product_id", "category", "currency"],
            [
                {
                    "day": day,
                    "product_id": pid,
                    "category": category,
                    "currency": currency,
                    **_figures_row(figures),
                }
                for (day, pid, category, currency), figures in changes.sales_by_product.items()
            ],
        )
        months: dict[tuple[date, str, str, str], Figures] = {}
        for (day, pid, category, currency), figures in changes.sales_by_product.items():
            key = (month_of(day), pid, category, currency)
            months[key] = months[key] + figures if key in months else figures
        await _add_figures(
            conn,
            t.reporting_sales_by_product_month,
            ["month", "product_id", "category", "currency"],
            [
                {
                    "month": month,
                    "product_id": pid,
                    "category": category,
                    "currency": currency,
                    **_figures_row(figures),
                }
                for (month, pid, category, currency), figures in months.items()
            ],
        )
        await _add_figures(
            conn,
            t.reporting_sales_by_category,
            ["day", "category", "currency"],
            [
                {"day": day, "category": category, "currency": currency, **_figures_row(figures)}
                for (day, category, currency), figures in changes.sales_by_category.items()
            ],
        )
        if changes.funnel:
            f = t.reporting_funnel
            statement = _insert(conn, f)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["day", "step"],
                    set_={"count": f.c.count + statement.excluded["count"]},
                ),
                [
                    {"day": day, "step": step.value, "count": count}
                    for (day, step), count in changes.funnel.items()
                ],
            )


def _key_text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _summed(table: sa.Table, keys: list[Any], period: Any, date_from: date, date_to: date) -> Any:
    return (
        sa.select(
            *keys,
            sa.func.sum(table.c.orders).label("orders"),
            sa.func.sum(table.c.units).label("units"),
            sa.func.sum(table.c.revenue_milli).label("revenue_milli"),
        )
        .where(period >= date_from, period <= date_to)
        .group_by(*keys)
    )


async def _product_sums(conn: AsyncConnection, date_from: date, date_to: date) -> list[Any]:
    """Sums by product over the period: its whole months from the monthly rows, the days at its
    ends from the daily ones (the report merges a product's pieces)."""
    daily, monthly = t.reporting_sales_by_product, t.reporting_sales_by_product_month
    keys = [daily.c.product_id, daily.c.currency]
    months = whole_months(date_from, date_to)
    if months is None:
        return list(await conn.execute(_summed(daily, keys, daily.c.day, date_from, date_to)))
    first, last = months
    month_keys = [monthly.c.product_id, monthly.c.currency]
    rows = list(await conn.execute(_summed(monthly, month_keys, monthly.c.month, first, last)))
    if date_from < first:
        head = _summed(daily, keys, daily.c.day, date_from, first - timedelta(days=1))
        rows += list(await conn.execute(head))
    after_last = next_month(last)
    if after_last <= date_to:
        rows += list(await conn.execute(_summed(daily, keys, daily.c.day, after_last, date_to)))
    return rows


async def _replace(
    conn: AsyncConnection, table: sa.Table, keys: list[str], rows: list[dict[str, Any]]
) -> None:
    statement = _insert(conn, table)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
        ),
        rows,
    )


async def _add_figures(
    conn: AsyncConnection, table: sa.Table, keys: list[str], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    statement = _insert(conn, table)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={
                name: table.c[name] + statement.excluded[name]
                for name in ("orders", "units", "revenue_milli")
            },
        ),
        rows,
    )


class SqlEventJournal:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def append(self, events: Sequence[Event]) -> int:
        unique: dict[str, Event] = {}
        for event in events:
            unique.setdefault(event.message_id, event)
        if not unique:
            return 0
        j = t.event_journal
        async with self._db.transaction() as conn:
            # One appender at a time: positions then grow in commit order, so a reader that
            # has seen position n never finds a smaller one appear later.
            await SqlReportingStore._lock(conn, _JOURNAL_LOCK)
            kept: set[str] = set()
            for chunk in _chunks(list(unique)):
                result = await conn.execute(
                    sa.select(j.c.message_id).where(j.c.message_id.in_(chunk))
                )
                kept.update(result.scalars())
            rows = [
                {
                    "message_id": message_id,
                    "name": event.event_name(),
                    "occurred_at": event.occurred_at,
                    "payload": wire.dumps(event),
                }
                for message_id, event in unique.items()
                if message_id not in kept
            ]
            if rows:
                await conn.execute(sa.insert(j), rows)
        return len(rows)

    async def read(self, *, after: int, limit: int) -> list[tuple[int, Event]]:
        j = t.event_journal
        query = (
            sa.select(j.c.position, j.c.payload)
            .where(j.c.position > after)
            .order_by(j.c.position)
            .limit(limit)
        )
        async with self._db.transaction() as conn:
            rows = (await conn.execute(query)).all()
        return [(int(row.position), wire.loads(row.payload)) for row in rows]

    async def count(self) -> int:
        async with self._db.transaction() as conn:
            result = await conn.execute(sa.select(sa.func.count()).select_from(t.event_journal))
            return int(result.scalar_one())


def product_rows(products: Iterable[ProductFacts]) -> list[dict[str, Any]]:
    """Rows of ``reporting_products`` (for bulk loads that bypass the projection's reads)."""
    return [_product_row(p) for p in products]
