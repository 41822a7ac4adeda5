"""SQLite FTS5 search, the embedded default.

``search_documents`` holds what filters and sorts need; the FTS5 table ``search_fts`` indexes its
text (external content, kept in step by triggers) with the unicode61 tokenizer folding case and
accents, prefix indexes for short prefixes, and bm25 weighting the name above the rest.
The schema lives in :func:`schema_statements`, which the migration and the tests both run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from commerce_core.catalog.search import (
    SearchDocument,
    SearchQuery,
    SearchResult,
    clean,
    fold,
)

# bm25 weights per FTS column: name, description, extra (sku and category).
NAME_WEIGHT, DESCRIPTION_WEIGHT, EXTRA_WEIGHT = 10.0, 1.0, 2.0
PRICE_SCALE = Decimal(10_000)  # prices held as integer ten-thousandths: exact and indexable

_TABLE = """
CREATE TABLE IF NOT EXISTS search_documents (
    doc_id INTEGER PRIMARY KEY,
    product_id TEXT NOT NULL UNIQUE,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    extra TEXT NOT NULL,
    category_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    price TEXT NOT NULL,
    price_units INTEGER NOT NULL,
    currency TEXT NOT NULL,
    in_stock INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_ts REAL NOT NULL
)"""

_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    name, description, extra,
    content='search_documents', content_rowid='doc_id',
    tokenize='unicode61 remove_diacritics 2',
    prefix='2 3 4'
)"""

_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, name, description, extra)
        VALUES (new.doc_id, new.name, new.description, new.extra);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, description, extra)
        VALUES ('delete', old.doc_id, old.name, old.description, old.extra);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, description, extra)
        VALUES ('delete', old.doc_id, old.name, old.description, old.extra);
        INSERT INTO search_fts(rowid, name, description, extra)
        VALUES (new.doc_id, new.name, new.description, new.extra);
    END""",
)

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category ON search_documents"
    " (category_key, category)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_price ON search_documents (price_units)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_created ON search_documents (created_ts)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_name ON search_documents (name_key)",
)


def schema_statements() -> list[str]:
    """The DDL of the search schema, idempotent; the alembic revision runs exactly this."""
    return [_TABLE, _FTS, *_TRIGGERS, *_INDEXES]


def drop_statements() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS search_documents_au",
        "DROP TRIGGER IF EXISTS search_documents_ad",
        "DROP TRIGGER IF EXISTS search_documents_ai",
        "DROP TABLE IF EXISTS search_fts",
        "DROP TABLE IF EXISTS search_documents",
    ]


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in schema_statements():
            await conn.execute(text(statement))


def price_units(price: Decimal, rounding: str = ROUND_FLOOR) -> int:
    return int((price * PRICE_SCALE).to_integral_value(rounding=rounding))


def document_row(document: SearchDocument) -> dict[str, Any]:
    return {
        "product_id": document.product_id,
        "sku": clean(document.sku),
        "name": clean(document.name),
        "description": clean(document.description),
        "category": clean(document.category),
        "extra": clean(f"{document.sku} {document.category}"),
        "category_key": fold(clean(document.category)).strip(),
        "name_key": fold(clean(document.name)),
        "price": str(document.price),
        "price_units": price_units(document.price),
        "currency": document.currency,
        "in_stock": int(document.in_stock),
        "created_at": document.created_at.isoformat(),
        "created_ts": document.created_at.timestamp(),
    }


_UPSERT = text(
    """INSERT INTO search_documents (product_id, sku, name, description, category, extra,
        category_key, name_key, price, price_units, currency, in_stock, created_at, created_ts)
    VALUES (:product_id, :sku, :name, :description, :category, :extra, :category_key,
        :name_key, :price, :price_units, :currency, :in_stock, :created_at, :created_ts)
    ON CONFLICT (product_id) DO UPDATE SET sku = excluded.sku, name = excluded.name,
        description = excluded.description, category = excluded.category,
        extra = excluded.extra, category_key = excluded.category_key,
        name_key = excluded.name_key, price = excluded.price,
        price_units = excluded.price_units, currency = excluded.currency,
        in_stock = excluded.in_stock, created_at = excluded.created_at,
        created_ts = excluded.created_ts"""
)

_ORDER = {
    "relevance": f"bm25(search_fts, {NAME_WEIGHT}, {DESCRIPTION_WEIGHT}, {EXTRA_WEIGHT}),"
    " d.created_ts DESC, d.product_id",
    "price": "d.price_units, d.name_key, d.product_id",
    "-price": "d.price_units DESC, d.name_key, d.product_id",
    "name": "d.name_key, d.product_id",
    "newest": "d.created_ts DESC, d.product_id",
}


def match_expression(words: Sequence[str]) -> str:
    """Every word as a quoted prefix term: the shopper's text never reaches FTS5's syntax."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)


class SqliteFtsSearchIndex:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def index(self, documents: Iterable[SearchDocument]) -> None:
        rows = [document_row(d) for d in documents]
        if not rows:
            return
        async with self._engine.begin() as conn:
            await conn.execute(_UPSERT, rows)

    async def remove(self, product_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM search_documents WHERE product_id = :p"), {"p": product_id}
            )

    async def documents(self) -> dict[str, SearchDocument]:
        async with self._engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT product_id, sku, name, description, category, price, currency,"
                    " in_stock, created_at FROM search_documents"
                )
            )
            return {
                row.product_id: SearchDocument(
                    product_id=row.product_id,
                    sku=row.sku,
                    name=row.name,
                    description=row.description,
                    category=row.category,
                    price=Decimal(row.price),
                    currency=row.currency,
                    in_stock=bool(row.in_stock),
                    created_at=datetime.fromisoformat(row.created_at),
                )
                for row in result
            }

    async def query(self, query: SearchQuery) -> SearchResult:
        words = query.words
        params: dict[str, Any] = {}
        conditions: list[str] = []
        if words:
            source = "search_fts JOIN search_documents d ON d.doc_id = search_fts.rowid"
            conditions.append("search_fts MATCH :match")
            params["match"] = match_expression(words)
        else:
            source = "search_documents d"
        if query.min_price is not None:
            conditions.append("d.price_units >= :min_price")
            params["min_price"] = price_units(query.min_price, ROUND_CEILING)
        if query.max_price is not None:
            conditions.append("d.price_units <= :max_price")
            params["max_price"] = price_units(query.max_price, ROUND_FLOOR)
        if query.in_stock is not None:
            conditions.append("d.in_stock = :in_stock")
            params["in_stock"] = int(query.in_stock)
        category = query.category_key
        where = " AND ".join(conditions) or "1"
        async with self._engine.connect() as conn:
            facets, total = await self._facets(conn, source, where, params, category)
            if total == 0:
                return SearchResult(ids=(), total=0, facets=facets)
            page_where = where
            if category is not None:
                page_where += " AND d.category_key = :category"
                params["category"] = category
            order = _ORDER[query.sort if words or query.sort != "relevance" else "newest"]
            result = await conn.execute(
                text(
                    f"SELECT d.product_id FROM {source} WHERE {page_where}"
                    f" ORDER BY {order} LIMIT :limit OFFSET :offset"
                ),
                {**params, "limit": query.limit, "offset": query.offset},
            )
            ids = tuple(row.product_id for row in result)
        return SearchResult(ids=ids, total=total, facets=facets)

    async def _facets(
        self,
        conn: AsyncConnection,
        source: str,
        where: str,
        params: dict[str, Any],
        category: str | None,
    ) -> tuple[dict[str, int], int]:
        result = await conn.execute(
            text(
                f"SELECT d.category_key, d.category, count(*) AS n FROM {source}"
                f" WHERE {where} GROUP BY d.category_key, d.category"
            ),
            params,
        )
        facets: dict[str, int] = {}
        total = 0
        for row in result:
            facets[row.category] = facets.get(row.category, 0) + row.n
            if category is None or row.category_key == category:
                total += row.n
        return facets, total
