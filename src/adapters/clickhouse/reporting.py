"""The reporting read models in a ClickHouse warehouse (COMMERCE_CLICKHOUSE_URL).

``ingest`` folds a batch with the same ``Projection`` as the SQL and in-memory stores and writes
what it changed in bulk: one INSERT per table, all rows tagged with a new batch number, then the
batch's commit row (see ``schema``). It is idempotent by message id: ids of committed batches are
filtered out first, and a batch that died before its commit row is invisible, so delivering it
again folds it once. One writer per warehouse: batches of one store are serialised by a lock, and
the pipeline runs one loader (see ``pipeline``) or one backfill at a time.

The reports sum the figures in ClickHouse (``sum ... GROUP BY`` over the committed deltas) and hand
the sums to ``commerce_core.reporting.reports``, which orders, labels and rounds them as it does
for every store.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.clickhouse.connection import ClickHouse
from adapters.clickhouse.facts import dump_order, load_order
from adapters.clickhouse.schema import COMMITTED, MONTHLY, MONTHLY_BACKFILL, TABLES
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
    ProductFacts,
    Projection,
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

# The facts of a product, latest committed version; the columns of ProductFacts in order.
_PRODUCT_COLUMNS = (
    "known", "sku", "name", "category", "active", "low_stock_threshold", "on_hand",
    "reserved", "stock_version", "received", "returned", "adjusted",
)  # fmt: skip
_LATEST_PRODUCTS = (
    "SELECT product_id, "
    + ", ".join(f"argMax({c}, batch)" for c in _PRODUCT_COLUMNS)
    + f" FROM reporting_products WHERE {COMMITTED} {{where}} GROUP BY product_id {{having}}"
)
_LOOKUP_CHUNK = 2000  # ids per IN list: well under max_query_size (256 KiB) for long ids


def _product(row: Sequence[Any]) -> ProductFacts:
    (product_id, known, sku, name, category, active, threshold, on_hand, reserved,
     stock_version, received, returned, adjusted) = row  # fmt: skip
    return ProductFacts(
        product_id=product_id,
        known=bool(known),
        sku=sku,
        name=name,
        category=category,
        active=bool(active),
        low_stock_threshold=int(threshold),
        on_hand=int(on_hand),
        reserved=int(reserved),
        stock_version=int(stock_version),
        received=int(received),
        returned=int(returned),
        adjusted=int(adjusted),
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_milli(amount: Decimal) -> int:
    milli = amount.scaleb(3)
    if milli != milli.to_integral_value():
        raise ValueError(f"{amount} has more than 3 decimals: no currency has that")
    return int(milli)


def _figures(orders: int, units: int, revenue_milli: int) -> Figures:
    return Figures(int(orders), int(units), Decimal(int(revenue_milli)).scaleb(-3))


def _chunks(items: Sequence[str], size: int = _LOOKUP_CHUNK) -> Iterable[tuple[str, ...]]:
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])


def _summed(table: str, key: str, *, by_bucket: bool = True) -> str:
    """Committed deltas of a daily figures table summed over the period, by (bucket, currency)
    or, with ``by_bucket=False``, by currency alone (``key`` is then a constant)."""
    group = "bucket, currency" if by_bucket else "currency"
    return (
        f"SELECT {key} AS bucket, currency, sum(orders) AS orders, sum(units) AS units, "
        f"sum(revenue_milli) AS revenue_milli FROM {table} "
        f"WHERE day >= %(date_from)s AND day <= %(date_to)s AND {COMMITTED} GROUP BY {group}"
    )


def _rows_in(table: str, period: str, names: tuple[str, str]) -> str:
    return (
        f"SELECT currency, product_id, orders, units, revenue_milli FROM {table} "
        f"WHERE {period} >= %({names[0]})s AND {period} <= %({names[1]})s AND {COMMITTED}"
    )


def _product_sums(date_from: date, date_to: date) -> tuple[str, dict[str, date]]:
    """Sums by product over the period, in one query: its whole months from the monthly rollup,
    the loose days at its ends from the daily rows; each product's name joined from its latest
    committed facts.

    The rows are grouped by one String, the currency (an ISO code: no space) and the product id
    joined by a space, split again on the few summed rows: ClickHouse 18.16 hashes a single
    string key several times faster than the serialised pair (product_id, currency)."""
    daily = "reporting_sales_by_product"
    params = {"date_from": date_from, "date_to": date_to}
    months = whole_months(date_from, date_to)
    if months is None:
        parts = [_rows_in(daily, "day", ("date_from", "date_to"))]
    else:
        first, last = months
        params |= {"first_month": first, "last_month": last}
        parts = [_rows_in(MONTHLY, "month", ("first_month", "last_month"))]
        if date_from < first:
            params["head_to"] = first - timedelta(days=1)
            parts.append(_rows_in(daily, "day", ("date_from", "head_to")))
        after_last = next_month(last)
        if after_last <= date_to:
            params["tail_from"] = after_last
            parts.append(_rows_in(daily, "day", ("tail_from", "date_to")))
    rows = " UNION ALL ".join(parts)
    summed = (
        "SELECT concat(currency, ' ', product_id) AS joined, sum(orders) AS orders, "
        f"sum(units) AS units, sum(revenue_milli) AS revenue_milli FROM ({rows}) GROUP BY joined"
    )
    query = (
        "SELECT bucket, currency, orders, units, revenue_milli, name, known FROM ("
        "SELECT substring(joined, position(joined, ' ') + 1) AS bucket, "
        "substring(joined, 1, position(joined, ' ') - 1) AS currency, orders, units, revenue_milli "
        f"FROM ({summed})) ANY LEFT JOIN (SELECT product_id AS bucket, "
        "argMax(name, batch) AS name, argMax(known, batch) AS known "
        f"FROM reporting_products WHERE {COMMITTED} GROUP BY bucket) USING bucket"
    )
    return query, params


class ClickHouseReportingStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse
        self._write_lock = asyncio.Lock()
        self._schema_ready = False
        self._last_batch = 0

    async def create_schema(self) -> None:
        if self._schema_ready:
            return
        for table, ddl in TABLES.items():
            if table == MONTHLY:
                await self._ensure_monthly(ddl)
            else:
                await self._ch.execute(ddl.format(table=table))
        self._schema_ready = True

    async def _ensure_monthly(self, ddl: str) -> None:
        """The monthly rollup, filled from the committed daily rows of a warehouse made before
        it (see ``schema``): built under another name and renamed in, so it appears whole. When
        two processes race, one rename wins and the other drops its copy."""
        if (await self._ch.execute(f"EXISTS TABLE {MONTHLY}"))[0][0]:
            return
        aside = f"{MONTHLY}_{secrets.token_hex(4)}"
        await self._ch.execute(ddl.format(table=aside))
        try:
            await self._ch.execute(MONTHLY_BACKFILL.format(table=aside))
            await self._ch.execute(f"RENAME TABLE {aside} TO {MONTHLY}")
        except Exception:
            await self._ch.execute(f"DROP TABLE IF EXISTS {aside}")
            if not (await self._ch.execute(f"EXISTS TABLE {MONTHLY}"))[0][0]:
                raise

    # -- ReportingStore -----------------------------------------------------------------------

    async def ingest(self, events: Sequence[Event]) -> int:
        return await self._ingest(events, journal_position=0)

    async def ingest_page(self, page: Sequence[tuple[int, Event]]) -> int:
        """A page of the event journal: folded like ``ingest``, and the journal position of its
        last event committed with it (even when every event was seen before)."""
        if not page:
            return 0
        return await self._ingest([event for _, event in page], journal_position=page[-1][0])

    async def journal_position(self) -> int:
        """How far into the journal the committed batches reach (0: nothing loaded)."""
        await self.create_schema()
        rows = await self._ch.execute("SELECT max(journal_position) FROM reporting_batches")
        return int(rows[0][0]) if rows else 0

    async def _ingest(self, events: Sequence[Event], *, journal_position: int) -> int:
        async with self._write_lock:
            await self.create_schema()
            unique: dict[str, Event] = {}
            for event in events:
                unique.setdefault(event.message_id, event)
            seen = await self._committed_messages(list(unique))
            new = [event for message_id, event in unique.items() if message_id not in seen]
            if not new:
                if journal_position:
                    await self.commit(await self._begin(), 0, journal_position)
                return 0
            orders = await self._orders(wanted_orders(new))
            products = await self._products(sorted(wanted_products(new, orders)))
            changes = Projection(products, orders).fold(new)
            await self.write_batch(changes, [event.message_id for event in new], journal_position)
            return len(new)

    async def reset(self) -> None:
        async with self._write_lock:
            for table in TABLES:
                await self._ch.execute(f"DROP TABLE IF EXISTS {table}")
            self._schema_ready = False
            await self.create_schema()

    async def compact(self) -> int:
        """Writes the latest facts of every product as one batch, then deletes the versions
        before it (a ClickHouse mutation, applied in the background: a read sees the old parts
        or the new ones, with the same latest facts). Products gain a row per batch that changes
        them, and the inventory reads them all, so a busy warehouse compacts now and then
        (``commerce analytics compact``). Returns how many products were kept."""
        async with self._write_lock:
            await self.create_schema()
            products = await self._products(None)
            batch = await self.write_batch(Changes(products=products), [])
            await self._ch.execute(
                "ALTER TABLE reporting_products DELETE WHERE batch < %(batch)s", {"batch": batch}
            )
            return len(products)

    async def write_batch(
        self, changes: Changes, message_ids: Sequence[str], journal_position: int = 0
    ) -> int:
        """Writes a folded batch: every row tagged with a new batch number, the commit row last.
        Returns the batch number."""
        batch = await self._begin()
        await self._write_rows(batch, changes, message_ids)
        await self.commit(batch, len(message_ids), journal_position)
        return batch

    async def _begin(self) -> int:
        """A new batch number, noted as begun, once every unfinished batch is void."""
        unfinished = await self._ch.execute(
            "SELECT batch FROM reporting_batches_begun "
            "WHERE batch > (SELECT max(batch) FROM reporting_batches) "
            "AND batch NOT IN (SELECT batch FROM reporting_batches_void)"
        )
        if unfinished:  # a writer died between its rows and its commit
            await self._ch.insert_columns(
                "reporting_batches_void", {"batch": [row[0] for row in unfinished]}
            )
        batch = self._next_batch()
        await self._ch.insert_columns(
            "reporting_batches_begun", {"batch": [batch], "begun_at": [_now()]}
        )
        return batch

    async def commit(self, batch: int, events: int, journal_position: int = 0) -> None:
        """The batch's commit row: from this insert on, every row of the batch counts."""
        await self._ch.insert_columns(
            "reporting_batches",
            {
                "batch": [batch],
                "events": [events],
                "journal_position": [journal_position],
                "committed_at": [_now()],
            },
        )

    def _next_batch(self) -> int:
        # Nanoseconds since the epoch, strictly increasing within this writer: later batches
        # win ``argMax`` across restarts too, and a batch that never committed is never reused.
        self._last_batch = max(self._last_batch + 1, time.time_ns())
        return self._last_batch

    async def _write_rows(self, batch: int, changes: Changes, message_ids: Sequence[str]) -> None:
        ch = self._ch
        products = list(changes.products.values())
        await ch.insert_columns(
            "reporting_products",
            {
                "product_id": [p.product_id for p in products],
                "batch": [batch] * len(products),
                **{
                    column: [int(getattr(p, column)) for p in products]
                    if column in {"known", "active"}
                    else [getattr(p, column) for p in products]
                    for column in _PRODUCT_COLUMNS
                },
            },
        )
        orders = list(changes.orders.values())
        await ch.insert_columns(
            "reporting_orders",
            {
                "order_id": [o.order_id for o in orders],
                "batch": [batch] * len(orders),
                "facts": [dump_order(o) for o in orders],
            },
        )
        await self._insert_figures(
            "reporting_sales_by_day", ("day", "currency"), changes.sales_by_day, batch
        )
        await self._insert_figures(
            "reporting_sales_by_product",
            ("day", "product_id", "category", "currency"),
            changes.sales_by_product,
            batch,
        )
        months: dict[tuple[date, str, str, str], Figures] = {}
        for (day, pid, category, currency), figures in changes.sales_by_product.items():
            key = (month_of(day), pid, category, currency)
            months[key] = months[key] + figures if key in months else figures
        await self._insert_figures(
            MONTHLY, ("month", "product_id", "category", "currency"), months, batch
        )
        await self._insert_figures(
            "reporting_sales_by_category",
            ("day", "category", "currency"),
            changes.sales_by_category,
            batch,
        )
        funnel = [(key, count) for key, count in changes.funnel.items() if count]
        await ch.insert_columns(
            "reporting_funnel",
            {
                "day": [day for (day, _), _ in funnel],
                "step": [step.value for (_, step), _ in funnel],
                "count": [count for _, count in funnel],
                "batch": [batch] * len(funnel),
            },
        )
        await ch.insert_columns(
            "reporting_messages",
            {"message_id": list(message_ids), "batch": [batch] * len(message_ids)},
        )

    async def _insert_figures(
        self,
        table: str,
        key_columns: Sequence[str],
        deltas: Mapping[Any, Figures],
        batch: int,
    ) -> None:
        rows = [(key, f) for key, f in deltas.items() if not f.is_zero]
        columns: dict[str, list[Any]] = {
            name: [key[i] for key, _ in rows] for i, name in enumerate(key_columns)
        }
        columns["orders"] = [f.orders for _, f in rows]
        columns["units"] = [f.units for _, f in rows]
        columns["revenue_milli"] = [to_milli(f.revenue) for _, f in rows]
        columns["batch"] = [batch] * len(rows)
        await self._ch.insert_columns(table, columns)

    async def write_sales_columns(
        self,
        *,
        day: Sequence[date],
        product_id: Sequence[str],
        category: Sequence[str],
        currency: Sequence[str],
        orders: Sequence[int],
        units: Sequence[int],
        revenue_milli: Sequence[int],
        message_ids: Sequence[str],
    ) -> int:
        """Sales already folded, one entry per (day, product, category, currency) delta, as
        whole columns: the bulk path of an import from another system (and of the benchmark).
        The day, category and monthly tables get their sums; the batch commits like any other."""
        by_day: dict[tuple[Any, ...], list[int]] = {}
        by_category: dict[tuple[Any, ...], list[int]] = {}
        by_month: dict[tuple[Any, ...], list[int]] = {}
        first_days: dict[date, date] = {}
        figures = zip(
            day, product_id, category, currency, orders, units, revenue_milli, strict=True
        )
        for d, p, c, cur, o, u, r in figures:
            month = first_days.get(d)
            if month is None:
                month = first_days[d] = month_of(d)
            for table, key in (
                (by_day, (d, cur)),
                (by_category, (d, c, cur)),
                (by_month, (month, p, c, cur)),
            ):
                found = table.get(key)
                if found is None:
                    table[key] = [o, u, r]
                else:
                    found[0] += o
                    found[1] += u
                    found[2] += r
        batch = await self._begin()
        rows = len(day)
        await self._ch.insert_columns(
            "reporting_sales_by_product",
            {
                "day": day,
                "product_id": product_id,
                "category": category,
                "currency": currency,
                "orders": orders,
                "units": units,
                "revenue_milli": revenue_milli,
                "batch": [batch] * rows,
            },
        )
        sums: dict[tuple[Any, ...], list[int]]
        for table_name, sums, key_columns in (
            ("reporting_sales_by_day", by_day, ("day", "currency")),
            ("reporting_sales_by_category", by_category, ("day", "category", "currency")),
            (MONTHLY, by_month, ("month", "product_id", "category", "currency")),
        ):
            keys = list(sums)
            columns: dict[str, list[Any]] = {
                name: [key[i] for key in keys] for i, name in enumerate(key_columns)
            }
            for i, name in enumerate(("orders", "units", "revenue_milli")):
                columns[name] = [sums[key][i] for key in keys]
            columns["batch"] = [batch] * len(keys)
            await self._ch.insert_columns(table_name, columns)
        await self._ch.insert_columns(
            "reporting_messages",
            {"message_id": message_ids, "batch": [batch] * len(message_ids)},
        )
        await self.commit(batch, len(message_ids))
        return batch

    async def write_products(self, products: Sequence[ProductFacts]) -> None:
        """Product facts as one committed batch (the catalog side of a bulk import)."""
        changes = Changes(products={p.product_id: p for p in products})
        await self.write_batch(changes, [])

    # -- committed state ----------------------------------------------------------------------

    async def _committed_messages(self, message_ids: Sequence[str]) -> set[str]:
        seen: set[str] = set()
        for chunk in _chunks(message_ids):
            rows = await self._ch.execute(
                "SELECT DISTINCT message_id FROM reporting_messages "
                f"WHERE message_id IN %(ids)s AND {COMMITTED}",
                {"ids": chunk},
            )
            seen.update(row[0] for row in rows)
        return seen

    async def _orders(self, order_ids: Iterable[str]) -> dict[str, OrderFacts]:
        found: dict[str, OrderFacts] = {}
        for chunk in _chunks(sorted(order_ids)):
            rows = await self._ch.execute(
                "SELECT order_id, argMax(facts, batch) FROM reporting_orders "
                f"WHERE order_id IN %(ids)s AND {COMMITTED} GROUP BY order_id",
                {"ids": chunk},
            )
            found.update((order_id, load_order(order_id, text)) for order_id, text in rows)
        return found

    async def _products(self, product_ids: Sequence[str] | None) -> dict[str, ProductFacts]:
        if product_ids is None:
            rows = await self._ch.execute(_LATEST_PRODUCTS.format(where="", having=""))
            return {row[0]: _product(row) for row in rows}
        found: dict[str, ProductFacts] = {}
        for chunk in _chunks(product_ids):
            rows = await self._ch.execute(
                _LATEST_PRODUCTS.format(where="AND product_id IN %(ids)s", having=""),
                {"ids": chunk},
            )
            found.update((row[0], _product(row)) for row in rows)
        return found

    # -- ReportReader -------------------------------------------------------------------------

    async def sales(self, date_from: date, date_to: date, group_by: SalesGrouping) -> SalesReport:
        check_period(date_from, date_to)
        await self.create_schema()
        period = {"date_from": date_from, "date_to": date_to}
        if group_by is SalesGrouping.DAY:  # the buckets are the rows the totals sum: one query
            rows = await self._ch.execute(
                _summed("reporting_sales_by_day", "toString(day)"), period
            )
            buckets = [(str(day), c, _figures(o, u, r)) for day, c, o, u, r in rows]
            totals = [(currency, figures) for _, currency, figures in buckets]
            return sales_report(date_from, date_to, group_by, buckets, totals)
        if group_by is SalesGrouping.PRODUCT:
            query, params = _product_sums(date_from, date_to)
        else:
            query, params = _summed("reporting_sales_by_category", "category"), period
        bucket_rows, total_rows = await asyncio.gather(
            self._ch.execute(query, params),
            self._ch.execute(_summed("reporting_sales_by_day", "''", by_bucket=False), period),
        )
        buckets = [(str(row[0]), row[1], _figures(*row[2:5])) for row in bucket_rows]
        totals = [(c, _figures(o, u, r)) for _, c, o, u, r in total_rows]
        labels: dict[str, str] = {}
        if group_by is SalesGrouping.PRODUCT:
            labels = {row[0]: row[5] for row in bucket_rows if row[6]}
        return sales_report(date_from, date_to, group_by, buckets, totals, labels)

    async def inventory(self) -> InventoryReport:
        await self.create_schema()
        return inventory_report((await self._products(None)).values())

    async def low_stock(self) -> LowStockReport:
        """The filter runs in ClickHouse; ``low_stock_report`` applies the same rule again."""
        await self.create_schema()
        query = _LATEST_PRODUCTS.format(
            where="",
            having="HAVING argMax(known, batch) = 1 AND argMax(active, batch) = 1 "
            "AND argMax(on_hand, batch) - argMax(reserved, batch) "
            "<= argMax(low_stock_threshold, batch)",
        )
        rows = await self._ch.execute(query)
        return low_stock_report(_product(row) for row in rows)

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport:
        check_period(date_from, date_to)
        await self.create_schema()
        rows = await self._ch.execute(
            "SELECT step, sum(count) FROM reporting_funnel "
            f"WHERE day >= %(date_from)s AND day <= %(date_to)s AND {COMMITTED} GROUP BY step",
            {"date_from": date_from, "date_to": date_to},
        )
        return funnel_report(date_from, date_to, {FunnelStep(s): int(n) for s, n in rows})

    # -- DemandHistory ------------------------------------------------------------------------

    async def daily_units(self, date_from: date, date_to: date) -> list[DailyUnits]:
        await self.create_schema()
        rows = await self._ch.execute(
            "SELECT product_id, day, sum(units) AS units FROM reporting_sales_by_product "
            f"WHERE day >= %(date_from)s AND day <= %(date_to)s AND {COMMITTED} "
            "GROUP BY product_id, day HAVING units != 0 ORDER BY product_id, day",
            {"date_from": date_from, "date_to": date_to},
        )
        return [DailyUnits(product_id, day, int(units)) for product_id, day, units in rows]
