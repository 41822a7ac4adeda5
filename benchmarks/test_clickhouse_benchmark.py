"""Sales into the ClickHouse warehouse and the sales report over them, beside PostgreSQL.

The same generated sales rows (one per product and UTC day: N rows over N / PRODUCTS days, in one
currency, 20 categories) go

* into ClickHouse through the adapter's bulk path (``write_sales_columns``: one INSERT per table
  and batch, message ids recorded, a commit row per batch), timed as the ingest rate; and
* into the SQL read-model tables of PostgreSQL with COPY, summed the way its ``ingest`` keeps
  them: by product and day, by product and month (``reporting_sales_by_product_month``, which a
  long period's report by product reads), by category and day, and by day.

Each store thus answers from the tables it really keeps (ClickHouse from its own daily and monthly
rows, batch-tagged), so the comparison is fair. The data are generated in plain Python (seeded).

Then the sales report by day, by product and by category, over the whole period and over its
last 30 days, is asked of both stores through their ``ReportReader`` (the same code the HTTP
routes call), ROUNDS times each: p50 and p99 of each. The two stores must give equal reports.
A smaller run also times the full event path (``ingest`` of OrderCreated + OrderConfirmed events,
folded by the shared projection) for its events per second.

    COMMERCE_BENCH_SALES=10000000 python -m pytest benchmarks/test_clickhouse_benchmark.py \
        --benchmark-only -s

| variable | default | meaning |
|---|---|---|
| COMMERCE_BENCH_SALES | 300000 | sales rows (the issue's figure is 10,000,000) |
| COMMERCE_BENCH_PRODUCTS | 10000 | products (days = rows / products) |
| COMMERCE_BENCH_ROUNDS | 20 | timed reports per store, grouping and period |
| COMMERCE_BENCH_EVENTS | 40000 | events through the full ``ingest`` path |
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from adapters.clickhouse.connection import ClickHouse
from adapters.clickhouse.reporting import ClickHouseReportingStore
from commerce_core.ordering.events import OrderConfirmed, OrderCreated, OrderedItem
from commerce_core.reporting.model import SalesGrouping
from commerce_core.reporting.projection import ProductFacts
from commerce_core.shared.events import Event

CLICKHOUSE_URL = os.environ.get(
    "COMMERCE_TEST_CLICKHOUSE_URL", "clickhouse://127.0.0.1:9000/default"
)
ADMIN_DSN = os.environ.get(
    "COMMERCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SALES = int(os.environ.get("COMMERCE_BENCH_SALES", "300000"))
PRODUCTS = int(os.environ.get("COMMERCE_BENCH_PRODUCTS", "10000"))
ROUNDS = int(os.environ.get("COMMERCE_BENCH_ROUNDS", "20"))
EVENTS = int(os.environ.get("COMMERCE_BENCH_EVENTS", "40000"))
BATCH = 500_000
CATEGORIES = 20
FIRST_DAY = date(2024, 1, 1)


def _product_ids() -> list[str]:
    return [f"bench-{i:06d}" for i in range(PRODUCTS)]


def _category(i: int) -> str:
    return f"category-{i % CATEGORIES:02d}"


def _prices_milli() -> list[int]:
    rng = random.Random(1)
    return [rng.randrange(1, 200) * 250 for _ in range(PRODUCTS)]  # 0.25 to 49.75


def sales_batches() -> Iterator[dict[str, list[Any]]]:
    """Columns of BATCH rows at a time; row i is product i % PRODUCTS on day i // PRODUCTS."""
    rng = random.Random(7)
    pids = _product_ids()
    categories = [_category(i) for i in range(PRODUCTS)]
    prices = _prices_milli()
    days = [FIRST_DAY + timedelta(days=d) for d in range(SALES // PRODUCTS + 2)]
    for start in range(0, SALES, BATCH):
        index = range(start, min(start + BATCH, SALES))
        product = [i % PRODUCTS for i in index]
        units = rng.choices(range(1, 6), k=len(index))
        orders = [
            min(u, o) for u, o in zip(units, rng.choices(range(1, 4), k=len(index)), strict=True)
        ]
        yield {
            "day": [days[i // PRODUCTS] for i in index],
            "product_id": [pids[p] for p in product],
            "category": [categories[p] for p in product],
            "currency": ["EUR"] * len(index),
            "orders": orders,
            "units": units,
            "revenue_milli": [u * prices[p] for u, p in zip(units, product, strict=True)],
            "message_ids": [f"bench-sale-{i}" for i in index],
        }


def last_day() -> date:
    return FIRST_DAY + timedelta(days=(SALES - 1) // PRODUCTS)


def product_facts() -> list[ProductFacts]:
    return [
        ProductFacts(pid, known=True, sku=pid.upper(), name=f"Bench product {i}",
                     category=_category(i))
        for i, pid in enumerate(_product_ids())
    ]  # fmt: skip


# -- ClickHouse ---------------------------------------------------------------------------------


async def load_clickhouse(store: ClickHouseReportingStore) -> dict[str, float]:
    await store.create_schema()
    await store.write_products(product_facts())
    generating = inserting = 0.0
    batches = sales_batches()
    while True:
        began = time.perf_counter()
        columns = next(batches, None)
        generating += time.perf_counter() - began
        if columns is None:
            break
        began = time.perf_counter()
        await store.write_sales_columns(**columns)
        inserting += time.perf_counter() - began
    return {"generate_s": generating, "insert_s": inserting}


def order_events(count: int) -> list[Event]:
    pids = _product_ids()
    prices = _prices_milli()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events: list[Event] = []
    for n in range(count // 2):
        p = n % PRODUCTS
        price = Decimal(int(prices[p])).scaleb(-3)
        quantity = 1 + n % 3
        order_id = f"bench-order-{n}"
        moment = at + timedelta(minutes=n)
        total = price * quantity
        events.append(OrderCreated(
            occurred_at=moment, correlation_id=order_id, order_id=order_id, user_id="u",
            items=(OrderedItem(pids[p], quantity, price),), total=total, currency="EUR",
            payment_method="tok_visa",
        ))  # fmt: skip
        events.append(OrderConfirmed(
            occurred_at=moment, correlation_id=order_id, order_id=order_id, user_id="u",
            total=total, currency="EUR",
        ))  # fmt: skip
    return events


# -- PostgreSQL ---------------------------------------------------------------------------------


async def load_postgres(url: str) -> float:
    from commerce_core.reporting.reports import month_of
    from entrypoints import db
    from entrypoints.settings import Settings

    await db.upgrade(Settings(database_url=url))
    by_day: dict[Any, list[int]] = {}
    by_category: dict[Any, list[int]] = {}
    by_month: dict[Any, list[int]] = {}
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        await conn.copy_records_to_table(
            "reporting_products",
            records=[
                (p.product_id, True, p.sku, p.name, p.category, True, 0, 0, 0, -1, 0, 0, 0)
                for p in product_facts()
            ],
            columns=["product_id", "known", "sku", "name", "category", "active",
                     "low_stock_threshold", "on_hand", "reserved", "stock_version", "received",
                     "returned", "adjusted"],
        )  # fmt: skip
        for columns in sales_batches():
            rows = list(zip(columns["day"], columns["product_id"], columns["category"],
                            columns["currency"], columns["orders"], columns["units"],
                            columns["revenue_milli"], strict=True))  # fmt: skip
            for d, p, c, _, o, u, r in rows:
                keys = ((by_day, d), (by_category, (d, c)), (by_month, (month_of(d), p, c)))
                for table, key in keys:
                    sums = table.setdefault(key, [0, 0, 0])
                    sums[0] += o
                    sums[1] += u
                    sums[2] += r
            await conn.copy_records_to_table(
                "reporting_sales_by_product",
                records=rows,
                columns=["day", "product_id", "category", "currency", "orders", "units",
                         "revenue_milli"],
            )  # fmt: skip
        await conn.copy_records_to_table(
            "reporting_sales_by_day",
            records=[(d, "EUR", *sums) for d, sums in by_day.items()],
            columns=["day", "currency", "orders", "units", "revenue_milli"],
        )
        await conn.copy_records_to_table(
            "reporting_sales_by_category",
            records=[(d, c, "EUR", *sums) for (d, c), sums in by_category.items()],
            columns=["day", "category", "currency", "orders", "units", "revenue_milli"],
        )
        await conn.copy_records_to_table(
            "reporting_sales_by_product_month",
            records=[(m, p, c, "EUR", *sums) for (m, p, c), sums in by_month.items()],
            columns=["month", "product_id", "category", "currency", "orders", "units",
                     "revenue_milli"],
        )  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - began


# -- measuring ----------------------------------------------------------------------------------


async def latencies(
    ask: Callable[[], Awaitable[object]], rounds: int
) -> tuple[list[float], object]:
    answer = await ask()  # warm-up, and the answer to compare
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        await ask()
        timings.append((time.perf_counter() - began) * 1000)
    return timings, answer


def p50_p99(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))
    ]


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """A fresh ClickHouse database and a fresh PostgreSQL database, dropped afterwards."""
    from clickhouse_driver import Client

    name = f"commerce_bench_{secrets.token_hex(4)}"
    try:
        admin_ch = Client.from_url(CLICKHOUSE_URL)
        admin_ch.execute(f"CREATE DATABASE {name}")
    except Exception as error:
        pytest.skip(f"ClickHouse is not reachable at {CLICKHOUSE_URL}: {error}")

    async def pg(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(pg(f"CREATE DATABASE {name}"))
    except (OSError, asyncpg.PostgresError) as error:
        admin_ch.execute(f"DROP DATABASE {name}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield CLICKHOUSE_URL.rsplit("/", 1)[0] + f"/{name}", f"{base}/{name}"
    finally:
        admin_ch.execute(f"DROP DATABASE IF EXISTS {name}")
        asyncio.run(pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_clickhouse_ingest_and_sales_report_beside_postgresql(
    benchmark: Any, databases: tuple[str, str]
) -> None:
    from adapters.sqlalchemy.database import Database
    from adapters.sqlalchemy.reporting import SqlReportingStore

    clickhouse_url, postgres_url = databases
    loop = asyncio.new_event_loop()
    clickhouse = ClickHouse(clickhouse_url)
    store = ClickHouseReportingStore(clickhouse)
    database = Database(postgres_url)
    postgres = SqlReportingStore(database)
    info: dict[str, Any] = {"sales_rows": SALES, "products": PRODUCTS, "rounds": ROUNDS}
    try:
        loaded = loop.run_until_complete(load_clickhouse(store))
        info["clickhouse_insert_s"] = round(loaded["insert_s"], 2)
        info["clickhouse_rows_per_s"] = round(SALES / loaded["insert_s"])
        info["generate_s"] = round(loaded["generate_s"], 2)
        info["postgres_copy_s"] = round(loop.run_until_complete(load_postgres(postgres_url)), 2)
        info["postgres_rows_per_s"] = round(SALES / info["postgres_copy_s"])

        periods = {
            "all": (FIRST_DAY, last_day()),
            "last 30 days": (last_day() - timedelta(days=29), last_day()),
        }
        lines = []
        for period_name, (date_from, date_to) in periods.items():
            for grouping in SalesGrouping:
                figures = {}
                answers = {}
                for store_name, reader in (("clickhouse", store), ("postgresql", postgres)):
                    ask = functools.partial(reader.sales, date_from, date_to, grouping)
                    timings, answers[store_name] = loop.run_until_complete(latencies(ask, ROUNDS))
                    figures[store_name] = p50_p99(timings)
                assert answers["clickhouse"] == answers["postgresql"], (period_name, grouping)
                label = f"{grouping.value} / {period_name}"
                for store_name, (p50, p99) in figures.items():
                    info[f"{store_name} {label} p50_ms"] = round(p50, 1)
                    info[f"{store_name} {label} p99_ms"] = round(p99, 1)
                lines.append(
                    f"  {label:<24} clickhouse p50 {figures['clickhouse'][0]:8.1f} ms "
                    f"p99 {figures['clickhouse'][1]:8.1f} ms | postgresql p50 "
                    f"{figures['postgresql'][0]:8.1f} ms p99 {figures['postgresql'][1]:8.1f} ms"
                )

        events = order_events(EVENTS)
        began = time.perf_counter()
        for start in range(0, len(events), 5000):
            loop.run_until_complete(store.ingest(events[start : start + 5000]))
        event_seconds = time.perf_counter() - began
        info["ingest_events"] = len(events)
        info["ingest_events_per_s"] = round(len(events) / event_seconds)

        date_from, date_to = periods["all"]
        benchmark.pedantic(
            lambda: loop.run_until_complete(store.sales(date_from, date_to, SalesGrouping.PRODUCT)),
            rounds=3,
            iterations=1,
        )
    finally:
        loop.run_until_complete(clickhouse.aclose())
        loop.run_until_complete(database.dispose())
        loop.close()
    benchmark.extra_info.update(info)
    print(
        f"\n{SALES:,} sales rows, {PRODUCTS:,} products, {(last_day() - FIRST_DAY).days + 1} days\n"
        f"  ClickHouse bulk ingest: {info['clickhouse_rows_per_s']:,} rows/s "
        f"({info['clickhouse_insert_s']} s; generating the columns took {info['generate_s']} s)\n"
        f"  PostgreSQL COPY into the read-model tables: {info['postgres_rows_per_s']:,} rows/s "
        f"({info['postgres_copy_s']} s)\n"
        f"  full ingest path (projection + bulk insert): {info['ingest_events_per_s']:,} events/s "
        f"over {len(events):,} events\n"
        f"  sales report, {ROUNDS} rounds each:\n" + "\n".join(lines)
    )
