"""SQL return requests."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repositories import _Repository
from commerce_core.ordering.returns import ReturnItem, ReturnRequest, ReturnStatus
from commerce_core.shared.money import Money


def return_values(return_request: ReturnRequest) -> dict[str, Any]:
    return {
        "id": return_request.id,
        "order_id": return_request.order_id,
        "user_id": return_request.user_id,
        "items": [[item.product_id, item.quantity] for item in return_request.items],
        "refund_amount": str(return_request.refund_amount.amount),
        "currency": return_request.refund_amount.currency,
        "status": return_request.status.value,
        "requested_at": return_request.requested_at,
        "updated_at": return_request.updated_at,
        "refunded": return_request.refunded,
    }


def return_from(row: Row[Any]) -> ReturnRequest:
    m = row._mapping
    items = m["items"]
    if isinstance(items, str):  # asyncpg hands JSON over as text
        items = json.loads(items)
    return ReturnRequest(
        m["id"],
        m["order_id"],
        m["user_id"],
        tuple(ReturnItem(pid, qty) for pid, qty in items),
        Money(Decimal(m["refund_amount"]), m["currency"]),
        ReturnStatus(m["status"]),
        m["requested_at"],
        m["updated_at"],
        m["refunded"],
        version=m["version"],
    )


class SqlReturnRepository(_Repository[ReturnRequest]):
    table = t.returns
    key_column = "id"
    build = staticmethod(return_from)

    async def for_order(self, order_id: str) -> list[ReturnRequest]:
        r = t.returns
        result = await self._conn.execute(
            sa.select(r).where(r.c.order_id == order_id).order_by(r.c.requested_at, r.c.id)
        )
        return [return_from(row) for row in result]

    async def with_status(
        self, status: ReturnStatus | None, *, offset: int, limit: int
    ) -> tuple[list[ReturnRequest], int]:
        r = t.returns
        where = [] if status is None else [r.c.status == status.value]
        total = (
            await self._conn.execute(sa.select(sa.func.count()).select_from(r).where(*where))
        ).scalar_one()
        page = await self._conn.execute(
            sa.select(r)
            .where(*where)
            .order_by(r.c.requested_at, r.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [return_from(row) for row in page], total
