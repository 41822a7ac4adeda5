"""SQLite FTS5 search, the embedded default.

``search_documents`` holds what filters and sorts need; the FTS5 table ``search_fts`` indexes its
text (external content, kept in step by triggers) with the unicode61 tokenizer folding case and
accents, prefix indexes for short prefixes, and bm25 weighting the name above the rest.
The schema lives in :func:`schema_statements`, which the migration and the tests both run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.search.sql_documents import load_documents, remove_document
from commerce_core.catalog.search import (
    SearchDocument,
    SearchQuery,
    SearchResult,
    clean,
    fold,
)

# bm25 weights per FTS column: name, description, extra (sku and category).
NAME_WEIGHT, DESCRIPTION_WEIGHT, EXTRA_WEIGHT = 10.0, 1.0, 2.0
PRICE_SCALE = Decimal(10_000)
# Reads through a memory map: a query touches thousands of rows spread over the file, and a
# syscall per page (SQLite's default) costs more than the query's own work.
MMAP_BYTES = 256 * 2**20  # prices held as integer ten-thousandths: exact and indexable

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
    stock_version INTEGER NOT NULL DEFAULT 0,
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
    """CREATE TRIGGER IF NOT EXISTS search_documents_au
    AFTER UPDATE OF name, description, extra ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, description, extra)
        VALUES ('delete', old.doc_id, old.name, old.description, old.extra);
        INSERT INTO search_fts(rowid, name, description, extra)
        VALUES (new.doc_id, new.name, new.description, new.extra);
    END""",
)

# Category counts per stock state, kept by triggers: browsing without words or a price range
# reads a few dozen rows instead of counting the catalog.
_COUNTS = (
    """CREATE TABLE IF NOT EXISTS search_category_counts (
        category_key TEXT NOT NULL,
        category TEXT NOT NULL,
        in_stock INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (category_key, category, in_stock)
    ) WITHOUT ROWID""",
    """CREATE TRIGGER IF NOT EXISTS search_counts_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_category_counts (category_key, category, in_stock, n)
        VALUES (new.category_key, new.category, new.in_stock, 1)
        ON CONFLICT (category_key, category, in_stock) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_counts_ad AFTER DELETE ON search_documents BEGIN
        UPDATE search_category_counts SET n = n - 1 WHERE category_key = old.category_key
            AND category = old.category AND in_stock = old.in_stock;
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_counts_au AFTER UPDATE OF category_key, category,
        in_stock ON search_documents
        WHEN old.category_key IS NOT new.category_key OR old.category IS NOT new.category
            OR old.in_stock IS NOT new.in_stock
    BEGIN
        UPDATE search_category_counts SET n = n - 1 WHERE category_key = old.category_key
            AND category = old.category AND in_stock = old.in_stock;
        INSERT INTO search_category_counts (category_key, category, in_stock, n)
        VALUES (new.category_key, new.category, new.in_stock, 1)
        ON CONFLICT (category_key, category, in_stock) DO UPDATE SET n = n + 1;
    END""",
)

# Browsing a category in each order is an index range, not a sort.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category ON search_documents"
    " (category_key, category)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_price ON search_documents"
    " (price_units, name_key, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_created ON search_documents"
    " (created_ts, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_name ON search_documents"
    " (name_key, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category_price ON search_documents"
    " (category_key, price_units, name_key, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category_created ON search_documents"
    " (category_key, created_ts, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category_name ON search_documents"
    " (category_key, name_key, product_id)",
)


def schema_statements() -> list[str]:
    """The DDL of the search schema, idempotent; the alembic revision runs exactly this."""
    return [_TABLE, _FTS, *_TRIGGERS, *_COUNTS, *_INDEXES]


def drop_statements() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS search_documents_au",
        "DROP TRIGGER IF EXISTS search_documents_ad",
        "DROP TRIGGER IF EXISTS search_documents_ai",
        "DROP TRIGGER IF EXISTS search_counts_au",
        "DROP TRIGGER IF EXISTS search_counts_ad",
        "DROP TRIGGER IF EXISTS search_counts_ai",
        "DROP TABLE IF EXISTS search_category_counts",
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
        "stock_version": document.stock_version,
        "created_at": document.created_at.isoformat(),
        "created_ts": document.created_at.timestamp(),
    }


_UPSERT = text(
    """INSERT INTO search_documents (product_id, sku, name, description, category, extra,
        category_key, name_key, price, price_units, currency, in_stock, stock_version,
        created_at, created_ts)
    VALUES (:product_id, :sku, :name, :description, :category, :extra, :category_key,
        :name_key, :price, :price_units, :currency, :in_stock, :stock_version, :created_at,
        :created_ts)
    ON CONFLICT (product_id) DO UPDATE SET sku = excluded.sku, name = excluded.name,
        description = excluded.description, category = excluded.category,
        extra = excluded.extra, category_key = excluded.category_key,
        name_key = excluded.name_key, price = excluded.price,
        price_units = excluded.price_units, currency = excluded.currency,
        in_stock = CASE WHEN excluded.stock_version >= search_documents.stock_version
            THEN excluded.in_stock ELSE search_documents.in_stock END,
        stock_version = max(excluded.stock_version, search_documents.stock_version),
        created_at = excluded.created_at, created_ts = excluded.created_ts"""
)

_ORDER = {
    "price": "d.price_units, d.name_key, d.product_id",
    "-price": "d.price_units DESC, d.name_key, d.product_id",
    "name": "d.name_key, d.product_id",
    "newest": "d.created_ts DESC, d.product_id",
}


_MATCH_ORDER = {
    "relevance": "score, created_ts DESC, product_id",
    "price": "price_units, name_key, product_id",
    "-price": "price_units DESC, name_key, product_id",
    "name": "name_key, product_id",
    "newest": "created_ts DESC, product_id",
}


def match_expression(words: Sequence[str]) -> str:
    """Every word as a quoted prefix term: the shopper's text never reaches FTS5's syntax."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)


class SqliteFtsSearchIndex:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as conn:
            if not conn.info.get("search_mmap"):
                await conn.exec_driver_sql(f"PRAGMA mmap_size={MMAP_BYTES}")
                conn.info["search_mmap"] = True
            yield conn

    async def index(self, documents: Iterable[SearchDocument]) -> None:
        rows = [document_row(d) for d in documents]
        if not rows:
            return
        async with self._engine.begin() as conn:
            await conn.execute(_UPSERT, rows)

    async def set_in_stock(self, product_id: str, in_stock: bool, stock_version: int) -> bool:
        async with self._engine.begin() as conn:
            held = (await conn.execute(
                text("SELECT in_stock, stock_version FROM search_documents"
                     " WHERE product_id = :p"), {"p": product_id},
            )).first()
            if held is None or held.stock_version >= stock_version:
                return False
            await conn.execute(
                text("UPDATE search_documents SET in_stock = :s, stock_version = :v"
                     " WHERE product_id = :p AND stock_version < :v"),
                {"p": product_id, "s": int(in_stock), "v": stock_version},
            )
        return bool(held.in_stock) != in_stock

    async def remove(self, product_id: str) -> None:
        await remove_document(self._engine, product_id)

    async def documents(self) -> dict[str, SearchDocument]:
        return await load_documents(self._engine)

    async def query(self, query: SearchQuery) -> SearchResult:
        params: dict[str, Any] = {}
        conditions: list[str] = []
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
        if category is not None:
            params["category"] = category
        params["limit"], params["offset"] = query.limit, query.offset
        async with self._reading() as conn:
            if query.words:
                params["match"] = match_expression(query.words)
                return await self._search(conn, query, conditions, params, category)
            return await self._browse(conn, query, conditions, params, category)

    async def _search(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        conditions: list[str],
        params: dict[str, Any],
        category: str | None,
    ) -> SearchResult:
        """One pass over the matches: their category counts and the page, from one scan."""
        where = " AND ".join(["search_fts MATCH :match", *conditions])
        score = (
            f"bm25(search_fts, {NAME_WEIGHT}, {DESCRIPTION_WEIGHT}, {EXTRA_WEIGHT})"
            if query.sort == "relevance" else "0"
        )
        in_category = "WHERE category_key = :category" if category is not None else ""
        statement = f"""
            WITH m AS MATERIALIZED (
                SELECT d.product_id, d.category_key, d.category, d.price_units, d.name_key,
                    d.created_ts, {score} AS score
                FROM search_fts JOIN search_documents d ON d.doc_id = search_fts.rowid
                WHERE {where}
            )
            SELECT NULL AS product_id, category_key, category, count(*) AS n
            FROM m GROUP BY category_key, category
            UNION ALL
            SELECT * FROM (
                SELECT product_id, NULL, NULL, NULL FROM m {in_category}
                ORDER BY {_MATCH_ORDER[query.sort]} LIMIT :limit OFFSET :offset
            )"""
        facets: dict[str, int] = {}
        total = 0
        ids: list[str] = []
        for row in await conn.execute(text(statement), params):
            if row.product_id is not None:
                ids.append(row.product_id)
                continue
            facets[row.category] = facets.get(row.category, 0) + row.n
            if category is None or row.category_key == category:
                total += row.n
        return SearchResult(ids=tuple(ids), total=total, facets=facets)

    async def _browse(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        conditions: list[str],
        params: dict[str, Any],
        category: str | None,
    ) -> SearchResult:
        if query.min_price is None and query.max_price is None:
            stock = "AND in_stock = :in_stock" if query.in_stock is not None else ""
            counts = text(
                "SELECT category_key, category, sum(n) AS n FROM search_category_counts"
                f" WHERE n > 0 {stock} GROUP BY category_key, category"
            )
        else:
            counts = text(
                "SELECT d.category_key, d.category, count(*) AS n FROM search_documents d"
                f" WHERE {' AND '.join(conditions)} GROUP BY d.category_key, d.category"
            )
        facets: dict[str, int] = {}
        total = 0
        for row in await conn.execute(counts, params):
            facets[row.category] = facets.get(row.category, 0) + row.n
            if category is None or row.category_key == category:
                total += row.n
        if total == 0:
            return SearchResult(ids=(), total=0, facets=facets)
        if category is not None:
            conditions = [*conditions, "d.category_key = :category"]
        sort = "newest" if query.sort == "relevance" else query.sort
        page = await conn.execute(
            text(
                f"SELECT d.product_id FROM search_documents d"
                f" WHERE {' AND '.join(conditions) or '1'}"
                f" ORDER BY {_ORDER[sort]} LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        return SearchResult(ids=tuple(r.product_id for r in page), total=total, facets=facets)
