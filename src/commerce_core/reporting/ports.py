"""What reporting needs from the outside world: a store of read models that answers reports.

The SQL tables (SQLite, PostgreSQL) are the default; a warehouse such as ClickHouse implements the
same protocol, so the HTTP routes, the CLI and the dashboard do not know which one answers."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from commerce_core.reporting.model import (
    FunnelReport,
    InventoryReport,
    LowStockReport,
    SalesGrouping,
    SalesReport,
)


class ReportReader(Protocol):
    async def sales(
        self, date_from: date, date_to: date, group_by: SalesGrouping
    ) -> SalesReport: ...

    async def inventory(self) -> InventoryReport: ...

    async def low_stock(self) -> LowStockReport: ...

    async def funnel(self, date_from: date, date_to: date) -> FunnelReport: ...
