"""Demand forecast per product from its daily sales: additive Holt-Winters (level, trend and a
weekly seasonal profile), the method a supply-chain planner knows as triple exponential smoothing.

Pure standard library. The smoothing weights (alpha, beta, gamma) are chosen per series by a small
grid search on the one-step-ahead squared error over the history; the spread of those one-step
errors (their root mean square) is the ``sigma`` that the safety stock uses.

Initial state, the classical decomposition of the first two seasons: the trend is the mean change
per day between them, the level is the first season's mean carried to its last day, and each
seasonal index is the first season's value less that detrended mean. A series shorter than two
seasons has no weekly profile to learn: it is forecast flat at its mean (the sigma is its
standard deviation), and an empty or all-zero history forecasts zero demand.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from attrs import field, frozen, validators

WEEK = 7

_unit_interval = [validators.instance_of(float), validators.ge(0.0), validators.le(1.0)]

# 5 x 4 x 4 = 80 fits of a 26-week history: about 10 ms a product in CPython.
ALPHAS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 0.7)
BETAS: tuple[float, ...] = (0.0, 0.02, 0.05, 0.15)
GAMMAS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4)


@frozen
class Smoothing:
    alpha: float = field(validator=_unit_interval)  # level
    beta: float = field(validator=_unit_interval)  # trend
    gamma: float = field(validator=_unit_interval)  # season


@frozen
class Forecast:
    """What the history says about the days after it."""

    daily: tuple[float, ...]  # expected units on each of the next days, never negative
    sigma: float  # root mean square of the one-step-ahead errors over the history, units a day
    method: str  # "holt-winters", "mean" (too short for a season) or "none" (no sales)
    smoothing: Smoothing | None = None

    @property
    def total(self) -> float:
        return math.fsum(self.daily)

    def over(self, days: int) -> float:
        """Expected units over the first ``days`` days of the horizon."""
        return math.fsum(self.daily[:days])


@frozen
class _Fit:
    sse: float
    level: float
    trend: float
    season: tuple[float, ...]  # the last ``period`` seasonal indices, oldest first
    errors: int


def _initial_state(series: Sequence[float], period: int) -> tuple[float, float, list[float]]:
    first = series[:period]
    second = series[period : 2 * period]
    mean = math.fsum(first) / period
    trend = (math.fsum(second) - math.fsum(first)) / (period * period)
    middle = (period - 1) / 2  # the first season's mean is its level at its middle day
    season = [value - (mean + (i - middle) * trend) for i, value in enumerate(first)]
    return mean + middle * trend, trend, season


def _run(series: Sequence[float], period: int, smoothing: Smoothing) -> _Fit:
    """One pass of the additive recursions from the initial state over the whole series.
    ``season[t % period]`` holds the index last updated for that weekday position."""
    alpha, beta, gamma = smoothing.alpha, smoothing.beta, smoothing.gamma
    level, trend, season = _initial_state(series, period)
    sse = 0.0
    errors = 0
    for t in range(period, len(series)):
        y = series[t]
        index = season[t % period]
        error = y - (level + trend + index)
        sse += error * error
        errors += 1
        previous_level = level
        level = alpha * (y - index) + (1.0 - alpha) * (level + trend)
        trend = beta * (level - previous_level) + (1.0 - beta) * trend
        season[t % period] = gamma * (y - level) + (1.0 - gamma) * index
    start = len(series) % period
    ordered = tuple(season[start:] + season[:start])
    return _Fit(sse=sse, level=level, trend=trend, season=ordered, errors=errors)


def fit_smoothing(series: Sequence[float], period: int = WEEK) -> Smoothing:
    """The grid point with the least one-step-ahead squared error (ties: the first, so the
    smoothest weights win)."""
    best: tuple[float, Smoothing] | None = None
    for alpha, beta, gamma in itertools.product(ALPHAS, BETAS, GAMMAS):
        smoothing = Smoothing(alpha, beta, gamma)
        sse = _run(series, period, smoothing).sse
        if best is None or sse < best[0]:
            best = (sse, smoothing)
    assert best is not None
    return best[1]


def holt_winters(
    series: Sequence[float],
    horizon: int,
    *,
    period: int = WEEK,
    smoothing: Smoothing | None = None,
) -> Forecast:
    """Forecast ``horizon`` days after ``series`` (one figure a day, oldest first, no gaps)."""
    if horizon < 0:
        raise ValueError("horizon must not be negative")
    values = [float(v) for v in series]
    if not values or not any(values):
        return Forecast(daily=(0.0,) * horizon, sigma=0.0, method="none")
    if len(values) < 2 * period:
        mean = math.fsum(values) / len(values)
        spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
        return Forecast(daily=(mean,) * horizon, sigma=spread, method="mean")
    chosen = smoothing if smoothing is not None else fit_smoothing(values, period)
    fit = _run(values, period, chosen)
    daily = tuple(
        max(0.0, fit.level + h * fit.trend + fit.season[(h - 1) % period])
        for h in range(1, horizon + 1)
    )
    sigma = math.sqrt(fit.sse / fit.errors) if fit.errors else 0.0
    return Forecast(daily=daily, sigma=sigma, method="holt-winters", smoothing=chosen)


def seasonal_naive(
    series: Sequence[float], horizon: int, *, period: int = WEEK
) -> tuple[float, ...]:
    """The benchmark every seasonal method must beat: each day repeats the same weekday of the
    last full season."""
    if len(series) < period:
        raise ValueError("seasonal naive needs at least one full season")
    last = [float(v) for v in series[-period:]]
    return tuple(last[h % period] for h in range(horizon))


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute percentage error, in percent, over the days with non-zero actuals."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    if not pairs:
        raise ValueError("MAPE is undefined when every actual value is zero")
    return 100.0 * math.fsum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)


def smape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Symmetric MAPE in percent (0..200); a day where both are zero counts as exact."""
    terms = [
        0.0 if a == p == 0 else 2.0 * abs(a - p) / (abs(a) + abs(p))
        for a, p in zip(actual, predicted, strict=True)
    ]
    if not terms:
        raise ValueError("sMAPE of an empty series")
    return 100.0 * math.fsum(terms) / len(terms)
