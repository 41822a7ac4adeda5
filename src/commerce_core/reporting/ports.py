"""What reporting needs from the outside world: a store of read models that answers reports.

The SQL tables (SQLite, PostgreSQL) are the default; a warehouse such as ClickHouse implements the
same protocol, so the HTTP routes, the CLI and the dashboard do not know which one answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from commerce_core.reporting.model import (
    FunnelReport,
    InventoryReport,
    LowStockReport,
    SalesGrouping,
    SalesReport,
)
from commerce_core.shared.events import Event


class ReportReader(Protocol):
    async def sales(
        self, date_from: date, date_to: date, group_by: SalesGrouping
    ) -> SalesReport: ...

    async def inventory(self) -> InventoryReport: ...

    async def low_stock(self) -> LowStockReport: ...

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport: ...


class ReportingStore(ReportReader, Protocol):
    """Read models that fold integration events in. Every adapter (SQL tables, a warehouse)
    takes the same events and must answer every report with the same figures; the rules of what
    counts (net sales, UTC days, movement kinds) live in ``commerce_core.reporting`` so that
    adapters only store and sum."""

    async def ingest(self, events: Sequence[Event]) -> int:
        """Folds a batch in, in the given order; idempotent by ``message_id`` (an event seen
        before changes nothing). Returns how many events were new."""
        ...

    async def reset(self) -> None:
        """Forgets every figure and every seen message id, before a replay."""
        ...


class EventJournal(Protocol):
    """The whole history of integration events, append-only, in arrival order: the source a
    replay or a warehouse backfill reads."""

    async def append(self, events: Sequence[Event]) -> int:
        """Keeps the events not kept before (by ``message_id``); returns how many were new."""
        ...

    async def read(self, *, after: int, limit: int) -> list[tuple[int, Event]]:
        """Up to ``limit`` events with a position greater than ``after``, by position."""
        ...

    async def count(self) -> int: ...
