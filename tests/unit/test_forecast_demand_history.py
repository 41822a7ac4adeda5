"""The SQL read models' daily series in one query equals the series read from their sales report
day by day, and the in-memory store's (the warehouse's is checked in tests/clickhouse)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from adapters.memory.reporting import MemoryReportingStore
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.reporting import SqlReportingStore
from commerce_core.cart.events import CartStarted
from commerce_core.catalog.events import ProductCreated
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed, OrderCreated, OrderedItem
from commerce_core.reporting.reorder import DailyUnits, SalesReportDemandHistory
from commerce_core.shared.events import Event
from entrypoints import db
from entrypoints.settings import Settings

FIRST = date(2026, 2, 1)


def sales() -> list[Event]:
    from datetime import UTC, datetime
    from decimal import Decimal

    start = datetime(2026, 2, 1, 9, tzinfo=UTC)
    events: list[Event] = [
        ProductCreated(occurred_at=start, correlation_id=p, product_id=p, sku=p.upper(), name=p,
                       description="", category="c", price=Decimal("2.00"), currency="EUR",
                       initial_stock=100, low_stock_threshold=1)
        for p in ("a", "b")
    ]  # fmt: skip
    for n in range(30):
        order_id = f"o{n}"
        at = start + timedelta(days=n % 10, hours=n % 5)
        product = "a" if n % 3 else "b"
        events += [
            CartStarted(occurred_at=at, correlation_id="u", user_id="u", product_id=product,
                        quantity=1),
            OrderCreated(occurred_at=at, correlation_id=order_id, order_id=order_id, user_id="u",
                         items=(OrderedItem(product, 1 + n % 4, Decimal("2.00")),),
                         total=Decimal("2.00") * (1 + n % 4), currency="EUR",
                         payment_method="tok_visa"),
            OrderConfirmed(occurred_at=at, correlation_id=order_id, order_id=order_id,
                           user_id="u", total=Decimal("2.00") * (1 + n % 4), currency="EUR"),
        ]  # fmt: skip
        if n % 7 == 0:
            events.append(OrderCancelled(occurred_at=at, correlation_id=order_id,
                                         order_id=order_id, user_id="u", reason="customer",
                                         previous_status="CONFIRMED"))  # fmt: skip
    return events


async def test_the_sql_daily_series_equals_the_sales_report_read_day_by_day(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    await db.upgrade(Settings(database_url=url))
    database = Database(url)
    try:
        store = SqlReportingStore(database)
        await store.ingest(sales())
        last = FIRST + timedelta(days=12)
        one_query = await store.daily_units(FIRST, last)
        day_by_day = await SalesReportDemandHistory(store).daily_units(FIRST, last)
    finally:
        await database.dispose()
    assert ordered(one_query) == ordered(day_by_day)
    assert one_query, "the history sells something"
    memory = MemoryReportingStore()
    await memory.ingest(sales())
    assert ordered(await SalesReportDemandHistory(memory).daily_units(FIRST, last)) == ordered(
        one_query
    )


def ordered(rows: list[DailyUnits]) -> list[DailyUnits]:
    return sorted(rows, key=lambda row: (row.product_id, row.day))
