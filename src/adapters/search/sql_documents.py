"""What the SQL search adapters share: the ``search_documents`` rows they both keep."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce_core.catalog.search import SearchDocument
from commerce_core.shared.money import minor_units

_SELECT_DOCUMENTS = text(
    "SELECT product_id, sku, name, description, category, price, currency,"
    " in_stock, stock_version, created_at FROM search_documents"
)


def _document(row: Any) -> SearchDocument:
    created_at = row.created_at
    if isinstance(created_at, str):  # SQLite keeps timestamps as ISO text
        created_at = datetime.fromisoformat(created_at)
    return SearchDocument(
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        description=row.description,
        category=row.category,
        # NUMERIC comes back with the column's scale; a currency has its own.
        price=Decimal(row.price).quantize(Decimal(1).scaleb(-minor_units(row.currency))),
        currency=row.currency,
        in_stock=bool(row.in_stock),
        created_at=created_at,
        stock_version=row.stock_version,
    )


async def remove_document(engine: AsyncEngine, product_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM search_documents WHERE product_id = :p"), {"p": product_id}
        )


async def load_documents(engine: AsyncEngine) -> dict[str, SearchDocument]:
    async with engine.connect() as conn:
        return {row.product_id: _document(row) for row in await conn.execute(_SELECT_DOCUMENTS)}
