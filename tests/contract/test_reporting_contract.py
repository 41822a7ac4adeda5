"""Every reporting store folds the same history into the same figures, whatever the batches and
however often a message comes again; the journal keeps each event once, in arrival order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import reporting_scenario as scenario
from reporting_adapters import ADAPTERS, Reporting

from commerce_core.reporting.model import SalesGrouping
from commerce_core.reporting.ports import ReportingStore
from commerce_core.reporting.replay import rebuild
from commerce_core.shared.errors import InvalidInput


@pytest.fixture(params=list(ADAPTERS))
async def reporting(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Reporting]:
    async with ADAPTERS[request.param](request, tmp_path) as adapters:
        yield adapters


def _sales_rows(report: object) -> list[tuple[object, ...]]:
    rows = report.rows  # type: ignore[attr-defined]
    return [(r.key, r.orders, r.units, r.revenue) for r in rows]


def _expected(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [(*row[:-1], Decimal(str(row[-1]))) for row in rows]


async def _assert_scenario_figures(store: ReportingStore) -> None:
    first, last = scenario.FIRST_DAY, scenario.LAST_DAY
    by_day = await store.sales(first, last, SalesGrouping.DAY)
    assert _sales_rows(by_day) == _expected(scenario.SALES_BY_DAY)
    assert {r.currency for r in by_day.rows} == {"EUR"}
    assert [(t.currency, t.orders, t.units, t.revenue) for t in by_day.totals] == [
        ("EUR", *_expected([scenario.TOTAL])[0])
    ]
    by_product = await store.sales(first, last, SalesGrouping.PRODUCT)
    assert [(r.key, r.label, r.orders, r.units, r.revenue) for r in by_product.rows] == (
        _expected(scenario.SALES_BY_PRODUCT)
    )
    assert by_product.totals == by_day.totals  # an order with two products counts once
    by_category = await store.sales(first, last, SalesGrouping.CATEGORY)
    assert _sales_rows(by_category) == _expected(scenario.SALES_BY_CATEGORY)

    inventory = await store.inventory()
    assert {
        r.product_id: (
            r.on_hand,
            r.reserved,
            r.available,
            r.low_stock_threshold,
            r.received,
            r.sold,
            r.returned,
            r.adjusted,
        )
        for r in inventory.rows
    } == scenario.INVENTORY
    assert [r.sku for r in inventory.rows] == ["G-1", "W-1"]
    assert (inventory.total_on_hand, inventory.total_available) == (26, 26)
    low = await store.low_stock()
    assert [(r.product_id, r.sku, r.name, r.available, r.threshold) for r in low.rows] == (
        scenario.LOW_STOCK
    )
    funnel = await store.funnel(first, last)
    assert {k: getattr(funnel, k) for k in scenario.FUNNEL} == scenario.FUNNEL


async def test_the_history_gives_the_expected_figures(reporting: Reporting) -> None:
    assert await reporting.store.ingest(scenario.history()) == len(scenario.history())
    await _assert_scenario_figures(reporting.store)


async def test_a_period_keeps_only_its_days(reporting: Reporting) -> None:
    await reporting.store.ingest(scenario.history())
    march_2 = date(2026, 3, 2)
    report = await reporting.store.sales(march_2, march_2, SalesGrouping.DAY)
    assert _sales_rows(report) == [("2026-03-02", 1, 3, Decimal("14.00"))]
    assert [(t.orders, t.units, t.revenue) for t in report.totals] == [(1, 3, Decimal("14.00"))]
    funnel = await reporting.store.funnel(march_2, march_2)
    assert {k: getattr(funnel, k) for k in scenario.FUNNEL_MARCH_2} == scenario.FUNNEL_MARCH_2
    empty = await reporting.store.sales(date(2025, 1, 1), date(2025, 12, 31), SalesGrouping.PRODUCT)
    assert (empty.rows, empty.totals) == ((), ())
    assert (empty.date_from, empty.date_to, empty.group_by) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        SalesGrouping.PRODUCT,
    )


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
async def test_redelivered_messages_count_once_whatever_the_batches(
    reporting: Reporting, batch_size: int
) -> None:
    events = scenario.history()
    new = 0
    for start in range(0, len(events), batch_size):
        batch = events[start : start + batch_size]
        new += await reporting.store.ingest(batch + batch[:1])  # a repeat inside the batch
    assert new == len(events)
    assert await reporting.store.ingest(events) == 0  # all of it again
    await _assert_scenario_figures(reporting.store)


async def test_a_reset_forgets_figures_and_seen_messages(reporting: Reporting) -> None:
    await reporting.store.ingest(scenario.history())
    await reporting.store.reset()
    report = await reporting.store.sales(scenario.FIRST_DAY, scenario.LAST_DAY, SalesGrouping.DAY)
    assert (report.rows, report.totals) == ((), ())
    assert (await reporting.store.inventory()).rows == ()
    assert await reporting.store.ingest(scenario.history()) == len(scenario.history())
    await _assert_scenario_figures(reporting.store)


async def test_a_period_that_ends_before_it_starts_is_refused(reporting: Reporting) -> None:
    with pytest.raises(InvalidInput):
        await reporting.store.sales(date(2026, 3, 2), date(2026, 3, 1), SalesGrouping.DAY)
    with pytest.raises(InvalidInput):
        await reporting.store.funnel(date(2026, 3, 2), date(2026, 3, 1))


async def test_the_journal_keeps_each_event_once_in_arrival_order(reporting: Reporting) -> None:
    events = scenario.history()
    journal = reporting.journal
    assert await journal.append(events[:10]) == 10
    assert await journal.append(events[5:]) == len(events) - 10  # 5 of them seen already
    assert await journal.count() == len(events)
    page = await journal.read(after=0, limit=4)
    assert [position for position, _ in page] == [1, 2, 3, 4]
    everything = await journal.read(after=0, limit=len(events) + 10)
    assert [event for _, event in everything] == events  # the same values back, in order
    positions = [position for position, _ in everything]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(events)
    tail = await journal.read(after=positions[-3], limit=100)
    assert [event for _, event in tail] == events[-2:]
    assert await journal.read(after=positions[-1], limit=100) == []


async def test_a_rebuild_from_the_journal_gives_the_same_figures(reporting: Reporting) -> None:
    events = scenario.history()
    await reporting.journal.append(events)
    await reporting.store.ingest(events[:20])  # a partial, live state that the rebuild replaces
    seen: list[tuple[int, int]] = []
    replayed = await rebuild(
        reporting.journal,
        reporting.store,
        batch_size=9,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert replayed == len(events)
    assert seen[-1] == (len(events), len(events))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    await _assert_scenario_figures(reporting.store)


async def test_periods_of_whole_months_and_loose_days_sum_alike(reporting: Reporting) -> None:
    """A store may keep longer buckets (months) beside the days: any period still sums its days."""
    days = [
        date(2026, 2, 27),
        date(2026, 3, 1),
        date(2026, 3, 15),
        date(2026, 3, 31),
        date(2026, 4, 2),
    ]
    events = scenario.history()[:5]  # the products
    for number, day in enumerate(days):
        order_id = f"o-m{number}"
        when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        events += scenario.simple_order(order_id, when, scenario.WIDGET, "10.00")
    await reporting.store.ingest(events)
    for (first, last), expected in {
        (date(2026, 2, 27), date(2026, 4, 2)): 5,
        (date(2026, 3, 1), date(2026, 3, 31)): 3,
        (date(2026, 2, 28), date(2026, 3, 31)): 3,
        (date(2026, 3, 2), date(2026, 4, 30)): 3,
        (date(2026, 1, 1), date(2026, 12, 31)): 5,
        (date(2026, 3, 2), date(2026, 3, 14)): 0,
    }.items():
        report = await reporting.store.sales(first, last, SalesGrouping.PRODUCT)
        found = [(r.key, r.orders, r.units, r.revenue) for r in report.rows]
        wanted = (
            [
                (
                    scenario.WIDGET,
                    expected,
                    expected,
                    Decimal(10 * expected).quantize(Decimal("0.01")),
                )
            ]
            if expected
            else []
        )
        assert found == wanted, (first, last)
