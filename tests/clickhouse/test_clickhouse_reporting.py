"""The warehouse answers every report with the figures of the in-memory read models (the same
projection folded over the same history), and a redelivered batch counts once, even when the
writer died between its inserts and its commit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clickhouse_history import START, history

from adapters.clickhouse.reporting import ClickHouseReportingStore
from adapters.memory.reporting import MemoryReportingStore
from commerce_core.reporting.model import SalesGrouping
from commerce_core.reporting.ports import ReportingStore
from commerce_core.reporting.projection import Projection, wanted_orders
from commerce_core.shared.events import Event

pytestmark = pytest.mark.integration

FIRST_DAY = START.date() - timedelta(days=2)
LAST_DAY = START.date() + timedelta(days=40)
PERIODS = [
    (FIRST_DAY, LAST_DAY),
    (START.date() + timedelta(days=3), START.date() + timedelta(days=10)),
    (START.date() + timedelta(days=20), START.date() + timedelta(days=20)),
]


async def fold(store: ReportingStore, events: list[Event], batch: int) -> int:
    return sum([await store.ingest(events[i : i + batch]) for i in range(0, len(events), batch)])


async def every_report(store: ReportingStore) -> list[object]:
    reports: list[object] = [await store.inventory(), await store.low_stock()]
    for date_from, date_to in PERIODS:
        reports.append(await store.funnel(date_from, date_to))
        for grouping in SalesGrouping:
            reports.append(await store.sales(date_from, date_to, grouping))
    return reports


async def test_every_report_equals_the_in_memory_read_models(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history()
    memory = MemoryReportingStore()
    assert await fold(memory, events, 50) == len(events)
    assert await fold(clickhouse_store, events, 250) == len(events)

    expected, found = await every_report(memory), await every_report(clickhouse_store)
    assert found == expected
    sales = await clickhouse_store.sales(FIRST_DAY, LAST_DAY, SalesGrouping.DAY)
    assert sales.rows, "the history sells something"
    assert {t.currency for t in sales.totals} == {"EUR", "JPY"}


async def test_a_batch_delivered_twice_counts_once(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(orders=80)
    first, second = events[:700], events[700:]
    assert await clickhouse_store.ingest(first) == len(first)
    assert await clickhouse_store.ingest(first) == 0
    # A redelivery that overlaps the next batch: only the events not seen are new.
    assert await clickhouse_store.ingest(first[-100:] + second) == len(second)
    assert await clickhouse_store.ingest(events) == 0

    memory = MemoryReportingStore()
    await memory.ingest(events)
    assert await every_report(clickhouse_store) == await every_report(memory)


class CrashBeforeCommit(Exception):
    pass


class DiesBeforeCommit(ClickHouseReportingStore):
    """Writes every row of a batch, then dies before the batch's commit row (the ack)."""

    async def commit(self, batch: int, events: int, journal_position: int = 0) -> None:
        raise CrashBeforeCommit(batch)


async def test_a_batch_redelivered_after_a_crash_between_insert_and_commit_counts_once(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(orders=60)
    head, tail = events[: len(events) // 2], events[len(events) // 2 :]
    await clickhouse_store.ingest(head)

    dying = DiesBeforeCommit(clickhouse_store._ch)
    with pytest.raises(CrashBeforeCommit):
        await dying.ingest(tail)
    rows = await clickhouse_store._ch.execute("SELECT count() FROM reporting_sales_by_day")
    assert rows[0][0] > 0, "the dead writer's rows are in the tables, uncommitted"

    assert await clickhouse_store.ingest(tail) == len(tail)  # the redelivery folds it all
    void = await clickhouse_store._ch.execute("SELECT count() FROM reporting_batches_void")
    assert void[0][0] == 1, "the dead writer's batch was made void before the next commit"
    assert await clickhouse_store.ingest(tail) == 0
    memory = MemoryReportingStore()
    await memory.ingest(events)
    assert await every_report(clickhouse_store) == await every_report(memory)


async def test_orders_facts_survive_the_round_trip(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(orders=40)
    await clickhouse_store.ingest(events)
    orders = await clickhouse_store._orders(wanted_orders(events))
    memory = Projection({}, {}).fold(events)
    assert orders == memory.orders


async def test_reset_forgets_figures_and_seen_messages(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(orders=20)
    await clickhouse_store.ingest(events)
    await clickhouse_store.reset()
    assert (await clickhouse_store.inventory()).rows == ()
    assert await clickhouse_store.ingest(events) == len(events)


async def test_daily_units_are_the_net_units_by_product_and_day(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history()
    await clickhouse_store.ingest(events)
    day = START.date() + timedelta(days=6)
    by_product = await clickhouse_store.sales(day, day, SalesGrouping.PRODUCT)
    daily = await clickhouse_store.daily_units(day, day)
    expected = {}
    for row in by_product.rows:
        expected[row.key] = expected.get(row.key, 0) + row.units
    assert {d.product_id: d.units for d in daily} == {k: v for k, v in expected.items() if v}
    assert all(d.day == day for d in daily)
    assert isinstance(day, date)


async def test_folded_sales_in_whole_columns_sum_by_day_product_and_category(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    from decimal import Decimal

    from commerce_core.reporting.projection import ProductFacts

    await clickhouse_store.write_products([
        ProductFacts("a", known=True, sku="A", name="Anvil", category="tools"),
        ProductFacts("b", known=True, sku="B", name="Bucket", category="garden"),
    ])  # fmt: skip
    d1, d2 = date(2026, 3, 1), date(2026, 3, 2)
    await clickhouse_store.write_sales_columns(
        day=[d1, d1, d2],
        product_id=["a", "b", "a"],
        category=["tools", "garden", "tools"],
        currency=["EUR", "EUR", "EUR"],
        orders=[1, 2, 1],
        units=[3, 2, 1],
        revenue_milli=[30_000, 9_990, 10_000],
        message_ids=["m1", "m2", "m3"],
    )
    by_day = await clickhouse_store.sales(d1, d2, SalesGrouping.DAY)
    assert [(r.key, r.orders, r.units, r.revenue) for r in by_day.rows] == [
        ("2026-03-01", 3, 5, Decimal("39.99")),
        ("2026-03-02", 1, 1, Decimal("10.00")),
    ]
    by_product = await clickhouse_store.sales(d1, d2, SalesGrouping.PRODUCT)
    assert [(r.key, r.label, r.units) for r in by_product.rows] == [
        ("a", "Anvil", 4),
        ("b", "Bucket", 2),
    ]
    by_category = await clickhouse_store.sales(d2, d2, SalesGrouping.CATEGORY)
    assert [(r.key, r.revenue) for r in by_category.rows] == [("tools", Decimal("10.00"))]


async def test_compacting_keeps_the_latest_facts_and_drops_older_versions(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    import asyncio

    events = history(seed=5, orders=120)
    await fold(clickhouse_store, events, 100)
    before = await every_report(clickhouse_store)
    ch = clickhouse_store._ch
    versions = (await ch.execute("SELECT count() FROM reporting_products"))[0][0]

    kept = await clickhouse_store.compact()
    assert kept == len((await clickhouse_store.inventory()).rows)
    for _ in range(100):  # the mutation runs in the background
        if (await ch.execute("SELECT count() FROM reporting_products"))[0][0] == kept:
            break
        await asyncio.sleep(0.1)
    assert (await ch.execute("SELECT count() FROM reporting_products"))[0][0] == kept < versions
    assert await every_report(clickhouse_store) == before
    more = history(seed=6, orders=20)
    await clickhouse_store.ingest(more)
    memory = MemoryReportingStore()
    await fold(memory, events, 100)
    await memory.ingest(more)
    assert await every_report(clickhouse_store) == await every_report(memory)


LONG_PERIODS = [
    (date(2026, 1, 1), date(2026, 3, 31)),  # whole months only
    (date(2026, 1, 10), date(2026, 3, 5)),  # loose days, a whole month, loose days
    (date(2026, 2, 1), date(2026, 2, 28)),  # one whole month
    (date(2026, 1, 3), date(2026, 2, 28)),  # loose days, then a whole month
    (date(2026, 2, 1), date(2026, 3, 9)),  # a whole month, then loose days
]


async def sales_reports(store: ReportingStore) -> list[object]:
    return [
        await store.sales(date_from, date_to, grouping)
        for date_from, date_to in LONG_PERIODS
        for grouping in SalesGrouping
    ]


async def test_long_periods_read_the_monthly_rollup_with_the_same_figures(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(seed=21, orders=400, days=70)  # 5 January to mid-March
    memory = MemoryReportingStore()
    await memory.ingest(events)
    await fold(clickhouse_store, events, 300)
    months = await clickhouse_store._ch.execute(
        "SELECT count() FROM reporting_sales_by_product_month"
    )
    assert months[0][0] > 0
    assert await sales_reports(clickhouse_store) == await sales_reports(memory)


async def test_a_warehouse_made_before_the_monthly_rollup_fills_it_from_committed_batches(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(seed=22, orders=300, days=70)
    head, tail = events[: len(events) // 2], events[len(events) // 2 :]
    await fold(clickhouse_store, head, 200)
    with pytest.raises(CrashBeforeCommit):  # a dead writer's rows, above the watermark
        await DiesBeforeCommit(clickhouse_store._ch).ingest(tail)
    ch = clickhouse_store._ch
    await ch.execute("DROP TABLE reporting_sales_by_product_month")  # as before the rollup

    reopened = ClickHouseReportingStore(ch)
    await reopened.create_schema()
    memory = MemoryReportingStore()
    await memory.ingest(head)
    assert await sales_reports(reopened) == await sales_reports(memory)
    aside = await ch.execute(
        "SELECT count() FROM system.tables WHERE database = currentDatabase() "
        "AND name LIKE 'reporting_sales_by_product_month_%'"
    )
    assert aside[0][0] == 0

    assert await reopened.ingest(tail) == len(tail)  # the dead batch is void, the tail counts
    await memory.ingest(tail)
    assert await sales_reports(reopened) == await sales_reports(memory)
