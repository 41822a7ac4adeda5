"""Backtest: on generated daily sales with a known weekly pattern, an upward trend and noise, the
Holt-Winters forecast of the last four weeks must beat the seasonal naive one (each day repeats
the same weekday of the last week seen)."""

from __future__ import annotations

import random

import pytest

from commerce_core.reporting.forecast import holt_winters, mape, seasonal_naive, smape

WEEKLY_PROFILE = (0.8, 0.9, 1.0, 1.0, 1.2, 1.6, 1.5)  # Monday..Sunday, weekends sell more
HISTORY_WEEKS = 20
HOLD_OUT_DAYS = 28


def generated_sales(seed: int, base: float, trend: float, noise: float) -> list[float]:
    rng = random.Random(seed)
    days = HISTORY_WEEKS * 7 + HOLD_OUT_DAYS
    return [
        max(0.0, round((base + trend * t) * WEEKLY_PROFILE[t % 7] + rng.gauss(0.0, noise)))
        for t in range(days)
    ]


SERIES = [  # (seed, base units a day, trend units a day per day, noise sd)
    (1, 40.0, 0.15, 4.0),
    (2, 120.0, 0.40, 10.0),
    (3, 15.0, 0.05, 2.0),
    (4, 60.0, -0.05, 6.0),
    (5, 250.0, 1.00, 20.0),
]


def test_holt_winters_beats_the_seasonal_naive_forecast(
    record_property: pytest.RecordProperty,
) -> None:
    method_mape, naive_mape, method_smape, naive_smape = [], [], [], []
    for seed, base, trend, noise in SERIES:
        sales = generated_sales(seed, base, trend, noise)
        history, actual = sales[:-HOLD_OUT_DAYS], sales[-HOLD_OUT_DAYS:]
        forecast = holt_winters(history, HOLD_OUT_DAYS)
        naive = seasonal_naive(history, HOLD_OUT_DAYS)
        assert forecast.method == "holt-winters"
        method_mape.append(mape(actual, forecast.daily))
        naive_mape.append(mape(actual, naive))
        method_smape.append(smape(actual, forecast.daily))
        naive_smape.append(smape(actual, naive))

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    ours, naive = mean(method_mape), mean(naive_mape)
    improvement = 100.0 * (naive - ours) / naive
    print(
        f"\nbacktest over {len(SERIES)} series, {HOLD_OUT_DAYS} days held out: "
        f"Holt-Winters MAPE {ours:.2f}% (sMAPE {mean(method_smape):.2f}%), "
        f"seasonal naive MAPE {naive:.2f}% (sMAPE {mean(naive_smape):.2f}%): "
        f"{naive - ours:.2f} points, {improvement:.0f}% less error"
    )
    record_property("holt_winters_mape", round(ours, 2))
    record_property("seasonal_naive_mape", round(naive, 2))
    assert ours < naive
    assert mean(method_smape) < mean(naive_smape)
    # Every series, not just the average: the trend is what the naive forecast cannot follow.
    assert all(m < n for m, n in zip(method_mape, naive_mape, strict=True))
