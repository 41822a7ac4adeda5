"""A year of generated sales, as the rows the reporting projection keeps (the pre-aggregated
``reporting_sales_by_*`` tables and ``reporting_products``), for the report benchmark.

Orders are drawn one by one (seeded, so every run makes the same data): a day of 2025 weighted by
weekday and season, one to four distinct products weighted by popularity (Zipf-like over a few
thousand products in a dozen categories), one to three units each, about 6% of confirmed orders
cancelled or refunded (they leave nothing behind, as in the projection). Only the sums per bucket
are kept, so the rows are what the projection would have written for the same orders.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from attrs import frozen

from commerce_core.reporting.projection import ProductFacts

YEAR_START = date(2025, 1, 1)
DAYS = 365
CATEGORIES = (
    "books",
    "computers",
    "garden",
    "games",
    "grocery",
    "health",
    "home",
    "music",
    "outdoors",
    "phones",
    "tools",
    "toys",
)


@frozen
class SalesRows:
    orders: int
    by_day: list[tuple[date, str, int, int, int]]  # day, currency, orders, units, revenue_milli
    by_product: list[tuple[date, str, str, str, int, int, int]]  # + product id, category
    by_product_month: list[tuple[date, str, str, str, int, int, int]]  # the month's first day
    by_category: list[tuple[date, str, str, int, int, int]]
    products: list[ProductFacts]


def _day_weights() -> list[float]:
    weights = []
    for offset in range(DAYS):
        day = YEAR_START + timedelta(days=offset)
        season = 1.0 + 0.35 * math.cos(2 * math.pi * (offset - 340) / DAYS)  # December peak
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        weights.append(season * weekend)
    return weights


def generate(orders: int, products: int, *, seed: int = 7) -> SalesRows:
    rng = random.Random(seed)
    product_ids = [f"p{n:05d}" for n in range(products)]
    category_of = {pid: CATEGORIES[rng.randrange(len(CATEGORIES))] for pid in product_ids}
    price_milli = {pid: rng.randrange(199, 49_999) * 10 for pid in product_ids}  # 1.99 .. 499.99
    popularity = list(itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(products)))
    days = list(itertools.accumulate(_day_weights()))
    day_of = [YEAR_START + timedelta(days=offset) for offset in range(DAYS)]

    by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_product: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    by_category: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    line_counts = (1, 1, 1, 2, 2, 3, 4)
    kept = 0
    for _ in range(orders):
        if rng.random() < 0.06:
            continue  # cancelled or refunded after confirmation: nothing left in any bucket
        kept += 1
        day = day_of[rng.choices(range(DAYS), cum_weights=days)[0]]
        chosen = set(
            rng.choices(product_ids, cum_weights=popularity, k=line_counts[rng.randrange(7)])
        )
        order_units = order_revenue = 0
        categories: dict[str, list[int]] = {}
        for pid in chosen:
            units = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
            revenue = units * price_milli[pid]
            bucket = by_product[day, pid]
            bucket[0] += 1
            bucket[1] += units
            bucket[2] += revenue
            per_category = categories.setdefault(category_of[pid], [0, 0])
            per_category[0] += units
            per_category[1] += revenue
            order_units += units
            order_revenue += revenue
        for category, (units, revenue) in categories.items():
            bucket = by_category[day, category]
            bucket[0] += 1
            bucket[1] += units
            bucket[2] += revenue
        bucket = by_day[day]
        bucket[0] += 1
        bucket[1] += order_units
        bucket[2] += order_revenue
    by_month: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (day, pid), figures in by_product.items():
        month = by_month[day.replace(day=1), pid]
        for n in range(3):
            month[n] += figures[n]
    return SalesRows(
        orders=kept,
        by_day=[(day, "EUR", *figures) for day, figures in sorted(by_day.items())],
        by_product=[
            (day, pid, category_of[pid], "EUR", *figures)
            for (day, pid), figures in sorted(by_product.items())
        ],
        by_product_month=[
            (month, pid, category_of[pid], "EUR", *figures)
            for (month, pid), figures in sorted(by_month.items())
        ],
        by_category=[
            (day, category, "EUR", *figures)
            for (day, category), figures in sorted(by_category.items())
        ],
        products=[
            ProductFacts(
                pid,
                known=True,
                sku=f"SKU-{pid}",
                name=f"Product {pid}",
                category=category_of[pid],
                on_hand=100,
                stock_version=1,
                adjusted=100,
                low_stock_threshold=5,
            )
            for pid in product_ids
        ],
    )


def revenue(milli: int) -> Decimal:
    return Decimal(milli).scaleb(-3)
