"""The embedded mode's read models and event journal: dictionaries, same semantics as the SQL ones.

``ingest`` records the new message ids and queues the events; they are folded in batches (of
``fold_every`` events, or before any report is read), so a saga that feeds reporting one event
at a time does not pay for a fold per event. A batch is folded first and applied after, so a fold
that fails changes nothing and its events stay queued (the SQL store rolls its transaction back).

When a consumer buffers in front of the store (``read_after``), a report first has it store what
it holds, so a report right after a saga sees all of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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
    def __init__(self, *, fold_every: int = 1000) -> None:
        self._fold_every = fold_every
        self._before_read: Callable[[], Awaitable[object]] | None = None
        self.reset_now()

    def read_after(self, flush: Callable[[], Awaitable[object]]) -> None:
        """Every report first awaits ``flush`` (a buffering consumer's ``flush_quietly``)."""
        self._before_read = flush

    def reset_now(self) -> None:
        self._seen: set[str] = set()
        self._queued: list[Event] = []
        self._products: dict[str, ProductFacts] = {}
        self._orders: dict[str, OrderFacts] = {}
        self._by_day: dict[tuple[date, str], Figures] = {}
        self._by_product: dict[tuple[date, str, str, str], Figures] = {}
        self._by_category: dict[tuple[date, str, str], Figures] = {}
        self._funnel: dict[tuple[date, FunnelStep], int] = {}

    # -- ReportingStore -----------------------------------------------------------------------

    async def ingest(self, events: Sequence[Event]) -> int:
        seen, queued = self._seen, self._queued
        new = 0
        for event in events:
            if event.message_id not in seen:
                seen.add(event.message_id)
                queued.append(event)
                new += 1
        if len(queued) >= self._fold_every:
            self._fold()
        return new

    def _fold(self) -> None:
        if not self._queued:
            return
        changes = Projection(self._products, self._orders).fold(self._queued)
        self._apply(changes)
        self._queued = []

    async def _catch_up(self) -> None:
        if self._before_read is not None:
            await self._before_read()
        self._fold()

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
        await self._catch_up()
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
        await self._catch_up()
        return inventory_report(self._products.values())

    async def low_stock(self) -> LowStockReport:
        await self._catch_up()
        return low_stock_report(self._products.values())

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport:
        check_period(date_from, date_to)
        await self._catch_up()
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
