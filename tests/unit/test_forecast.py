"""The demand forecast and the reorder arithmetic on series whose answer is known by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from statistics import NormalDist

import pytest

from commerce_core.reporting.forecast import (
    Smoothing,
    holt_winters,
    mape,
    seasonal_naive,
    smape,
)
from commerce_core.reporting.model import (
    FunnelReport,
    InventoryReport,
    InventoryRow,
    LowStockReport,
    SalesGrouping,
    SalesReport,
    SalesRow,
)
from commerce_core.reporting.reorder import (
    DailyUnits,
    ReorderPolicy,
    SalesReportDemandHistory,
    dense_series,
    gather_demand,
    plan_reorders,
)
from commerce_core.shared.errors import InvalidInput

PATTERN = (5.0, 6.0, 7.0, 8.0, 9.0, 14.0, 12.0)


def test_a_constant_series_forecasts_the_constant_with_no_error() -> None:
    forecast = holt_winters([10.0] * 28, 5)
    assert forecast.method == "holt-winters"
    assert forecast.daily == pytest.approx((10.0,) * 5)
    assert forecast.sigma == pytest.approx(0.0)


def test_a_pure_weekly_pattern_is_repeated_on_the_right_weekdays() -> None:
    history = [PATTERN[t % 7] for t in range(31)]  # ends mid-week: day 31 is weekday 3
    forecast = holt_winters(history, 7)
    expected = tuple(PATTERN[(31 + h) % 7] for h in range(7))
    assert forecast.daily == pytest.approx(expected, abs=1e-9)


def test_a_linear_trend_is_extrapolated() -> None:
    history = [20.0 + 2.0 * t for t in range(42)]
    forecast = holt_winters(history, 3, smoothing=Smoothing(0.5, 0.5, 0.1))
    assert forecast.daily == pytest.approx((104.0, 106.0, 108.0), abs=1e-6)


def test_a_falling_trend_never_forecasts_negative_demand() -> None:
    history = [max(0.0, 60.0 - 2.0 * t) for t in range(28)]
    assert min(holt_winters(history, 30).daily) == 0.0


def test_a_short_history_is_forecast_flat_at_its_mean() -> None:
    forecast = holt_winters([4.0, 6.0, 8.0], 4)
    assert forecast.method == "mean"
    assert forecast.daily == (6.0,) * 4
    assert forecast.sigma == pytest.approx(math.sqrt(8 / 3))


def test_no_sales_forecasts_no_demand() -> None:
    assert holt_winters([], 3).daily == (0.0, 0.0, 0.0)
    assert holt_winters([0.0] * 30, 2).method == "none"


def test_seasonal_naive_repeats_the_last_week() -> None:
    assert seasonal_naive(list(range(1, 15)), 9) == (8, 9, 10, 11, 12, 13, 14, 8, 9)


def test_error_measures() -> None:
    assert mape([10, 20, 0], [11, 18, 5]) == pytest.approx(10.0)
    assert smape([0, 10], [0, 10]) == 0.0
    with pytest.raises(ValueError, match="zero"):
        mape([0, 0], [1, 1])


def stock_row(product_id: str, available: int) -> InventoryRow:
    return InventoryRow(
        product_id=product_id,
        sku=f"SKU-{product_id}",
        name=f"Product {product_id}",
        category="tools",
        on_hand=available,
        reserved=0,
        available=available,
        low_stock_threshold=5,
        received=available,
        sold=0,
        returned=0,
        adjusted=0,
    )


def inventory(*rows: InventoryRow) -> InventoryReport:
    return InventoryReport(
        rows=rows,
        total_on_hand=sum(r.on_hand for r in rows),
        total_available=sum(r.available for r in rows),
    )


def test_steady_demand_reorders_up_to_lead_time_plus_horizon() -> None:
    policy = ReorderPolicy(lead_time_days=7, service_level=0.95, horizon_days=14)
    history = {"low": [10.0] * 56, "plenty": [10.0] * 56, "idle": []}
    stock = inventory(stock_row("low", 50), stock_row("plenty", 71), stock_row("idle", 0))
    report = plan_reorders(stock, history, policy, date(2026, 3, 1))
    assert [r.product_id for r in report.rows] == ["low"]
    (row,) = report.rows
    assert row.reorder_point == pytest.approx(70.0)  # no forecast error: no safety stock
    assert row.order_up_to == pytest.approx(210.0)
    assert row.suggested_quantity == 160
    assert report.z == pytest.approx(1.6449, abs=1e-4)


def test_safety_stock_grows_with_the_service_level_and_the_root_of_the_lead_time() -> None:
    history = {"p": [4.0, 6.0, 8.0]}  # mean 6, sigma sqrt(8/3)
    stock = inventory(stock_row("p", 0))
    sigma = math.sqrt(8 / 3)
    for level, lead in ((0.9, 4), (0.99, 9)):
        policy = ReorderPolicy(lead_time_days=lead, service_level=level, horizon_days=7)
        (row,) = plan_reorders(stock, history, policy, date(2026, 3, 1)).rows
        safety = NormalDist().inv_cdf(level) * sigma * math.sqrt(lead)
        assert row.safety_stock == pytest.approx(safety, abs=0.01)
        assert row.reorder_point == pytest.approx(6.0 * lead + safety, abs=0.01)
        assert row.suggested_quantity == math.ceil(6.0 * (lead + 7) + safety)


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"lead_time_days": 0}, "lead_time_days"),
        ({"lead_time_days": 366}, "lead_time_days"),
        ({"horizon_days": -1}, "horizon_days"),
        ({"service_level": 1.0}, "service_level"),
        ({"service_level": 0.2}, "service_level"),
        ({"service_level": float("nan")}, "service_level"),
    ],
)
def test_a_policy_out_of_range_is_invalid_input(
    changes: dict[str, object], field_name: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        ReorderPolicy(**changes)  # type: ignore[arg-type]
    assert raised.value.field == field_name


def test_dense_series_fills_the_days_without_sales() -> None:
    start = date(2026, 1, 1)
    rows = [
        DailyUnits("a", start, 3),
        DailyUnits("a", start + timedelta(days=2), 4),
        DailyUnits("b", start + timedelta(days=1), 1),
        DailyUnits("b", start + timedelta(days=9), 100),  # outside the window
    ]
    assert dense_series(rows, start, start + timedelta(days=2)) == {
        "a": [3.0, 0.0, 4.0],
        "b": [0.0, 1.0, 0.0],
    }


class DailySalesReader:
    """A ReportReader that knows units per (day, product) and nothing else."""

    def __init__(self, units: dict[tuple[date, str], int]) -> None:
        self.units = units

    async def sales(self, date_from: date, date_to: date, group_by: SalesGrouping) -> SalesReport:
        assert group_by is SalesGrouping.PRODUCT
        assert date_from == date_to
        rows = tuple(
            SalesRow(p, p, "EUR", 1, u, Decimal(u))
            for (d, p), u in sorted(self.units.items())
            if d == date_from
        )
        return SalesReport(date_from, date_to, group_by, rows, ())

    async def inventory(self) -> InventoryReport:
        return inventory(stock_row("a", 1))

    async def low_stock(self) -> LowStockReport:
        return LowStockReport(rows=())

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport:
        return FunnelReport(date_from, date_to, 0, 0, 0, 0, 0)


async def test_the_demand_history_of_any_report_reader_comes_from_its_daily_sales() -> None:
    today = date(2026, 3, 10)
    reader = DailySalesReader({(date(2026, 3, 9), "a"): 5, (date(2026, 3, 3), "a"): 2})
    policy = ReorderPolicy(history_days=7)
    stock, series = await gather_demand(reader, SalesReportDemandHistory(reader), policy, today)
    assert series == {"a": [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0]}
    assert [r.product_id for r in stock.rows] == ["a"]
