"""``compact()`` of the SQL search indexes: PostgreSQL's rows are rewritten in name order (a
broad query's matches then share pages), and no answer changes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.search import postgres_fts
from commerce_core.catalog.search import SearchDocument, SearchQuery
from integration.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    require_service,
)


def _document(n: int, name: str) -> SearchDocument:
    return SearchDocument(
        product_id=f"p-{n:03d}", sku=f"S-{n}", name=name, description="oak",
        category="Home", price=Decimal("9.50"), currency="EUR", in_stock=True,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_postgresql_compaction_rewrites_rows_in_name_order() -> None:
    require_service(postgres_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    name, url = create_postgres_database()
    engine = create_async_engine(url)
    try:
        await postgres_fts.create_schema(engine)
        index = postgres_fts.PostgresFtsSearchIndex(engine)
        # Indexed in the reverse of name order, one at a time: the heap keeps arrival order.
        names = [f"{word} table" for word in ("zinc", "walnut", "teak", "pine", "maple", "ash")]
        for n, product_name in enumerate(names):
            await index.index([_document(n, product_name)])
        before = await index.query(SearchQuery(text="table", limit=50))

        await index.compact()

        async with engine.connect() as conn:
            physical = list(await conn.scalars(
                text("SELECT name FROM search_documents ORDER BY ctid")
            ))
        assert physical == sorted(names)
        after = await index.query(SearchQuery(text="table", limit=50))
        assert after == before
    finally:
        await engine.dispose()
        drop_postgres_database(name)
