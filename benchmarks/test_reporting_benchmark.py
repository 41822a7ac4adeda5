"""Sales reports over a year of 1,000,000 generated orders, on SQLite and PostgreSQL.

The generated orders (``reporting_data``: a few thousand products in a dozen categories, seasons
and weekends, 1 to 4 lines each, some cancelled) are loaded in bulk into the tables the reporting
projection writes (SQLite ``executemany``, PostgreSQL ``COPY``), then ``SqlReportingStore.sales``
is timed over the whole year by day, product and category, through the port, as the HTTP route
calls it. The goal is well under a second (the issue asks for under 1 s, the seed under 5 s);
p50 and p99 go to the benchmark's extra info and are printed.

    python -m pytest benchmarks/test_reporting_benchmark.py --benchmark-only -s

| variable | default | meaning |
|---|---|---|
| COMMERCE_BENCH_ORDERS | 1000000 | generated orders |
| COMMERCE_BENCH_PRODUCTS | 3000 | products |
| COMMERCE_BENCH_REPORT_ROUNDS | 30 | timed reports per database and grouping |
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import sqlite3
import statistics
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import attrs
import pytest

import reporting_data
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.reporting import SqlReportingStore, product_rows
from commerce_core.reporting.model import SalesGrouping
from entrypoints import db
from entrypoints.settings import Settings
from reporting_data import SalesRows

ORDERS = int(os.environ.get("COMMERCE_BENCH_ORDERS", "1000000"))
PRODUCTS = int(os.environ.get("COMMERCE_BENCH_PRODUCTS", "3000"))
ROUNDS = int(os.environ.get("COMMERCE_BENCH_REPORT_ROUNDS", "30"))
ADMIN_DSN = os.environ.get(
    "COMMERCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PERIODS = {
    "year": (date(2025, 1, 1), date(2025, 12, 31)),
    # Not on month boundaries: whole months plus the loose days at both ends.
    "jan15-dec14": (date(2025, 1, 15), date(2025, 12, 14)),
}
GOAL_S = 1.0

_PRODUCT_COLUMNS = (
    "product_id",
    "known",
    "sku",
    "name",
    "category",
    "active",
    "low_stock_threshold",
    "on_hand",
    "reserved",
    "stock_version",
    "received",
    "returned",
    "adjusted",
)
_TABLES: dict[str, tuple[str, ...]] = {
    "reporting_sales_by_day": ("day", "currency", "orders", "units", "revenue_milli"),
    "reporting_sales_by_product": (
        "day",
        "product_id",
        "category",
        "currency",
        "orders",
        "units",
        "revenue_milli",
    ),
    "reporting_sales_by_product_month": (
        "month",
        "product_id",
        "category",
        "currency",
        "orders",
        "units",
        "revenue_milli",
    ),
    "reporting_sales_by_category": (
        "day",
        "category",
        "currency",
        "orders",
        "units",
        "revenue_milli",
    ),
}


def _records(rows: SalesRows) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "reporting_sales_by_day": rows.by_day,
        "reporting_sales_by_product": rows.by_product,
        "reporting_sales_by_product_month": rows.by_product_month,
        "reporting_sales_by_category": rows.by_category,
        "reporting_products": [
            tuple(row[c] for c in _PRODUCT_COLUMNS) for row in product_rows(rows.products)
        ],
    }


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _fill_sqlite(path: Path, rows: SalesRows) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            for table, records in _records(rows).items():
                columns = _TABLES.get(table, _PRODUCT_COLUMNS)
                placeholders = ", ".join("?" for _ in columns)
                conn.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                    [
                        tuple(v.isoformat() if isinstance(v, date) else v for v in record)
                        for record in records
                    ],
                )
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def _fill_postgres(dsn: str, rows: SalesRows) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for table, records in _records(rows).items():
            await conn.copy_records_to_table(
                table, records=records, columns=list(_TABLES.get(table, _PRODUCT_COLUMNS))
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@attrs.frozen
class Loaded:
    orders: int  # confirmed and kept
    revenue: Decimal
    stores: dict[str, SqlReportingStore | None]  # None: the database is not reachable


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def loaded(
    loop: asyncio.AbstractEventLoop, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    """Generates the orders, fills both databases, then lets the generated rows go (and freezes
    what is left out of the garbage collector) so that they do not weigh on the timed reports."""
    started = time.perf_counter()
    rows = reporting_data.generate(ORDERS, PRODUCTS)
    print(
        f"\ngenerated {ORDERS:,} orders ({rows.orders:,} kept after cancellations): "
        f"{len(rows.by_product):,} product-day rows, {len(rows.by_product_month):,} "
        f"product-month rows in {time.perf_counter() - started:.1f} s"
    )
    orders, revenue = rows.orders, reporting_data.revenue(sum(r[-1] for r in rows.by_day))

    path = tmp_path_factory.mktemp("reporting") / "reports.db"
    sqlite_url = f"sqlite+aiosqlite:///{path}"
    loop.run_until_complete(db.upgrade(Settings(database_url=sqlite_url)))
    started = time.perf_counter()
    _fill_sqlite(path, rows)
    print(f"SQLite filled in {time.perf_counter() - started:.1f} s")
    databases = {"sqlite": Database(sqlite_url)}

    name = f"commerce_bench_{secrets.token_hex(4)}"
    base = ADMIN_DSN.rsplit("/", 1)[0]
    try:
        loop.run_until_complete(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL is not reachable: {error}")
        name = ""
    if name:
        url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
        loop.run_until_complete(db.upgrade(Settings(database_url=url)))
        started = time.perf_counter()
        loop.run_until_complete(_fill_postgres(f"{base}/{name}", rows))
        print(f"PostgreSQL filled in {time.perf_counter() - started:.1f} s")
        databases["postgresql"] = Database(url, pool_size=2)
    del rows
    gc.collect()
    gc.freeze()
    try:
        yield Loaded(
            orders,
            revenue,
            {
                "sqlite": SqlReportingStore(databases["sqlite"]),
                "postgresql": (
                    SqlReportingStore(databases["postgresql"])
                    if "postgresql" in databases
                    else None
                ),
            },
        )
    finally:
        gc.unfreeze()
        for database in databases.values():
            loop.run_until_complete(database.dispose())
        if name:
            loop.run_until_complete(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@pytest.mark.parametrize("period", list(PERIODS))
@pytest.mark.parametrize("grouping", list(SalesGrouping), ids=lambda g: g.value)
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_sales_report_over_a_year_of_a_million_orders(
    benchmark: Any,
    loop: asyncio.AbstractEventLoop,
    loaded: Loaded,
    database: str,
    grouping: SalesGrouping,
    period: str,
) -> None:
    store = loaded.stores[database]
    if store is None:
        pytest.skip(f"{database} is not reachable")
    timings: list[float] = []

    def report() -> Any:
        started = time.perf_counter()
        result = loop.run_until_complete(store.sales(*PERIODS[period], grouping))
        timings.append(time.perf_counter() - started)
        return result

    result = benchmark.pedantic(report, rounds=ROUNDS, iterations=1, warmup_rounds=2)

    (total,) = result.totals
    if period == "year":
        assert (total.orders, total.revenue) == (loaded.orders, loaded.revenue)
    else:
        assert 0 < total.orders < loaded.orders
    assert sum(row.orders for row in result.rows) >= total.orders  # an order in many products
    measured = timings[2:] if len(timings) > ROUNDS else timings
    p50, p99 = statistics.median(measured), _percentile(measured, 0.99)
    benchmark.extra_info.update(
        {
            "orders": ORDERS,
            "rows": len(result.rows),
            "p50_s": round(p50, 4),
            "p99_s": round(p99, 4),
            "goal_s": GOAL_S,
        }
    )
    print(
        f"\n{database} sales by {grouping.value} over {period} of {ORDERS:,} orders: "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({len(result.rows)} rows)"
    )
    assert p99 < GOAL_S
