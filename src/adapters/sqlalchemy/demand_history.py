"""The daily net units of each product (``DemandHistory``) in one grouped query over the SQL read
model ``reporting_sales_by_product``, for the demand forecast; ``SqlReportingStore.daily_units``
runs it through its reader (a read replica when the request tolerates one)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from commerce_core.reporting.reorder import DailyUnits


async def daily_units_on(conn: AsyncConnection, date_from: date, date_to: date) -> list[DailyUnits]:
    sales = t.reporting_sales_by_product
    units = sa.func.sum(sales.c.units)
    query = (
        sa.select(sales.c.product_id, sales.c.day, units.label("units"))
        .where(sales.c.day >= date_from, sales.c.day <= date_to)
        .group_by(sales.c.product_id, sales.c.day)
        .having(units != 0)
        .order_by(sales.c.product_id, sales.c.day)
    )
    rows = (await conn.execute(query)).all()
    return [DailyUnits(row.product_id, row.day, int(row.units)) for row in rows]

