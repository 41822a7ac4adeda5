"""The embedded mode's read models and event journal: dictionaries, same semantics as the SQL ones.

A batch is folded first and applied after, so a batch that fails changes nothing (the SQL store
rolls its transaction back the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

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
)
from commerce_core.reporting.reports import (
    check_period,
    funnel_report,
    inventory_report,
    low_stock_report,
    sales_report,
)
from commerce_core.shared.events import Event


class MemoryReportingStore:
    def __init__(self) -> None:
        self.reset_now()

    def reset_now(self) -> None:
        self._seen: set[str] = set()
        self._products: dict[str, ProductFacts] = {}
        self._orders: dict[str, OrderFacts] = {}
        self._by_day: dict[tuple[date, str], Figures] = {}
        self._by_product: dict[tuple[date, str, str, str], Figures] = {}
        self._by_category: dict[tuple[date, str, str], Figures] = {}
        self._funnel: dict[tuple[date, FunnelStep], int] = {}

    # -- ReportingStore -----------------------------------------------------------------------

    async def ingest(self, events: Sequence[Event]) -> int:
        new: list[Event] = []
        batch_ids: set[str] = set()
        for event in events:
            if event.message_id not in self._seen and event.message_id not in batch_ids:
                batch_ids.add(event.message_id)
                new.append(event)
        if not new:
            return 0
        changes = Projection(self._products, self._orders).fold(new)
        self._apply(changes)
        self._seen |= batch_ids
        return len(new)

    async def reset(self) -> None:
        self.reset_now()

    def _apply(self, changes: Changes) -> None:
        self._products.update(changes.products)
        self._orders.update(changes.orders)
        for table, deltas in (
            (self._by_day, changes.sales_by_day),
            (self._by_product, changes.sales_by_product),
            (self._by_category, changes.sales_by_category),
        ):
            for key, figures in deltas.items():
                table[key] = table[key] + figures if key in table else figures  # type: ignore[index]
        for key, count in changes.funnel.items():
            self._funnel[key] = self._funnel.get(key, 0) + count

    # -- ReportReader -------------------------------------------------------------------------

    async def sales(self, date_from: date, date_to: date, group_by: SalesGrouping) -> SalesReport:
        check_period(date_from, date_to)
        buckets: list[tuple[str, str, Figures]]
        if group_by is SalesGrouping.DAY:
            buckets = [
                (day.isoformat(), currency, figures)
                for (day, currency), figures in self._by_day.items()
                if date_from <= day <= date_to
            ]
        elif group_by is SalesGrouping.PRODUCT:
            buckets = [
                (product_id, currency, figures)
                for (day, product_id, _, currency), figures in self._by_product.items()
                if date_from <= day <= date_to
            ]
        else:
            buckets = [
                (category, currency, figures)
                for (day, category, currency), figures in self._by_category.items()
                if date_from <= day <= date_to
            ]
        totals = [
            (currency, figures)
            for (day, currency), figures in self._by_day.items()
            if date_from <= day <= date_to
        ]
        labels = {pid: p.name for pid, p in self._products.items() if p.known}
        return sales_report(date_from, date_to, group_by, buckets, totals, labels)

    async def inventory(self) -> InventoryReport:
        return inventory_report(self._products.values())

    async def low_stock(self) -> LowStockReport:
        return low_stock_report(self._products.values())

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport:
        check_period(date_from, date_to)
        counts: dict[FunnelStep, int] = {}
        for (day, step), count in self._funnel.items():
            if date_from <= day <= date_to:
                counts[step] = counts.get(step, 0) + count
        return funnel_report(date_from, date_to, counts)


class MemoryEventJournal:
    """Events in arrival order; a position is the 1-based index."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._ids: set[str] = set()

    async def append(self, events: Sequence[Event]) -> int:
        added = 0
        for event in events:
            if event.message_id not in self._ids:
                self._ids.add(event.message_id)
                self._events.append(event)
                added += 1
        return added

    async def read(self, *, after: int, limit: int) -> list[tuple[int, Event]]:
        start = max(after, 0)
        return [
            (position, event)
            for position, event in enumerate(self._events[start : start + limit], start=start + 1)
        ]

    async def count(self) -> int:
        return len(self._events)
