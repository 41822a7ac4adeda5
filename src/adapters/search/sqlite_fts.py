"""SQLite FTS5 search, the embedded default.

``search_documents`` holds what filters and sorts need; the FTS5 table ``search_fts`` indexes its
text (external content, kept in step by triggers) with the unicode61 tokenizer folding case and
accents; no prefix indexes (a prefix spans few terms, and they would triple the index).
Relevance is the port's: the number of words found in the name (FTS5's ``{name}:`` filter), then
newest first. The rowid layout that lets a broad query neither rank every match nor look every
match up, and the SQL that reads it, are in :mod:`adapters.search.fts5_sql`.
The schema lives in :func:`schema_statements`, which the migration and the tests both run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from attrs import evolve
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.search.fts5_sql import (
    CODE_SHIFT,
    IN_CATEGORY,
    LAST_IN_RANGE,
    MATCH_ORDER,
    STOCK_OF,
    STOCK_SHIFT,
    Filters,
    facets_sql,
    first_key,
    match_expression,
    newest_sql,
    next_key,
    phrase,
    tier_expression,
)
from adapters.search.sql_documents import load_documents, remove_document
from commerce_core.catalog.search import (
    SearchDocument,
    SearchQuery,
    SearchResult,
    clean,
    fold,
)

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
    detail=column, columnsize=0
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
    AFTER UPDATE OF doc_id, name, description, extra ON search_documents BEGIN
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

# Browsing a category in each order is an index range, not a sort. A text query reads what it
# filters, counts and sorts by from ix_search_documents_matches alone (narrow, so dense in cache).
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_search_documents_matches ON search_documents"
    " (doc_id, category, category_key, in_stock, price_units, created_ts, name_key, product_id)",
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


_CATEGORIES = (
    """CREATE TABLE IF NOT EXISTS search_categories (
        code INTEGER PRIMARY KEY,
        category TEXT NOT NULL UNIQUE,
        category_key TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_categories_key ON search_categories (category_key)",
)


def schema_statements() -> list[str]:
    """The DDL of the search schema, idempotent; the alembic revision runs exactly this."""
    return [_TABLE, _FTS, *_TRIGGERS, *_COUNTS, *_CATEGORIES, *_INDEXES]


def drop_statements() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS search_documents_au",
        "DROP TRIGGER IF EXISTS search_documents_ad",
        "DROP TRIGGER IF EXISTS search_documents_ai",
        "DROP TRIGGER IF EXISTS search_counts_au",
        "DROP TRIGGER IF EXISTS search_counts_ad",
        "DROP TRIGGER IF EXISTS search_counts_ai",
        "DROP TABLE IF EXISTS search_category_counts",
        "DROP TABLE IF EXISTS search_categories",
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
    created_ts = document.created_at.timestamp()
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
        "created_ts": created_ts,
    }


_ADD_CATEGORIES = text(
    "INSERT INTO search_categories (category, category_key) VALUES (:category, :category_key)"
    " ON CONFLICT (category) DO NOTHING"
)
_CODES = text(
    "SELECT category, code FROM search_categories WHERE category IN :categories"
).bindparams(bindparam("categories", expanding=True))
# :first is the range of the document's stock figure, :other_first the other stock state's,
# which the document takes when it holds a newer stock figure than this one.
_UPSERT = text(
    f"""INSERT INTO search_documents (doc_id, product_id, sku, name, description, category,
        extra, category_key, name_key, price, price_units, currency, in_stock, stock_version,
        created_at, created_ts)
    VALUES ({next_key(":first")},
        :product_id, :sku, :name, :description, :category, :extra, :category_key,
        :name_key, :price, :price_units, :currency, :in_stock, :stock_version, :created_at,
        :created_ts)
    ON CONFLICT (product_id) DO UPDATE SET
        doc_id = CASE
            WHEN excluded.stock_version < search_documents.stock_version
                AND excluded.in_stock <> search_documents.in_stock
            THEN CASE WHEN search_documents.doc_id BETWEEN :other_first
                    AND :other_first + {LAST_IN_RANGE}
                THEN search_documents.doc_id ELSE {next_key(":other_first")} END
            WHEN search_documents.doc_id BETWEEN :first AND :first + {LAST_IN_RANGE}
            THEN search_documents.doc_id
            ELSE excluded.doc_id
        END,
        sku = excluded.sku, name = excluded.name,
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


class SqliteFtsSearchIndex:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def compact(self) -> None:
        """Merges the FTS5 index's segments into one (FTS5 'optimize'): after a reindex or many
        writes, a query reads one b-tree per term instead of one per segment."""
        async with self._engine.begin() as conn:
            await conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))

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
        categories = {row["category"]: row["category_key"] for row in rows}
        async with self._engine.begin() as conn:
            found = await conn.execute(_CODES, {"categories": list(categories)})
            codes: dict[str, int] = {row[0]: row[1] for row in found}
            if len(codes) < len(categories):  # a category seen for the first time
                await conn.execute(
                    _ADD_CATEGORIES,
                    [{"category": c, "category_key": k} for c, k in categories.items()],
                )
                found = await conn.execute(_CODES, {"categories": list(categories)})
                codes = {row[0]: row[1] for row in found}
            for row in rows:
                first = first_key(row["created_ts"], codes[row["category"]], row["in_stock"])
                row["first"] = first
                row["other_first"] = first ^ (1 << STOCK_SHIFT)
            await conn.execute(_UPSERT, rows)

    async def set_in_stock(self, product_id: str, in_stock: bool, stock_version: int) -> bool:
        async with self._engine.begin() as conn:
            held = (
                await conn.execute(
                    text(
                        "SELECT doc_id, in_stock, stock_version FROM search_documents"
                        " WHERE product_id = :p"
                    ),
                    {"p": product_id},
                )
            ).first()
            if held is None or held.stock_version >= stock_version:
                return False
            # The doc_id's stock bit follows the figure: a range of the same second and category.
            first = (held.doc_id >> CODE_SHIFT << CODE_SHIFT) + (int(in_stock) << STOCK_SHIFT)
            await conn.execute(
                text(
                    "UPDATE search_documents SET in_stock = :s, stock_version = :v, doc_id ="
                    f" CASE WHEN in_stock = :s THEN doc_id ELSE {next_key(':first')} END"
                    " WHERE product_id = :p AND stock_version < :v"
                ),
                {"p": product_id, "s": int(in_stock), "v": stock_version, "first": first},
            )
        return bool(held.in_stock) != in_stock

    async def remove(self, product_id: str) -> None:
        await remove_document(self._engine, product_id)

    async def documents(self) -> dict[str, SearchDocument]:
        return await load_documents(self._engine)

    async def query(self, query: SearchQuery) -> SearchResult:
        params: dict[str, Any] = {}
        rows: list[str] = []
        if query.min_price is not None:
            rows.append("{t}.price_units >= :min_price")
            params["min_price"] = price_units(query.min_price, ROUND_CEILING)
        if query.max_price is not None:
            rows.append("{t}.price_units <= :max_price")
            params["max_price"] = price_units(query.max_price, ROUND_FLOOR)
        if query.in_stock is not None:
            params["in_stock"] = int(query.in_stock)
        category = query.category_key
        if category is not None:
            params["category"] = category
        async with self._reading() as conn:
            if query.words:
                bits = [f"{STOCK_OF} = :in_stock"] if query.in_stock is not None else []
                filters = Filters(tuple(bits), tuple(rows))
                return await self._search(conn, query, filters, params, category)
            params["limit"], params["offset"] = query.limit, query.offset
            conditions = [c.format(t="d") for c in rows]
            if query.in_stock is not None:
                conditions.append("d.in_stock = :in_stock")
            return await self._browse(conn, query, conditions, params, category)

    async def _search(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        filters: Filters,
        params: dict[str, Any],
        category: str | None,
    ) -> SearchResult:
        """Category counts over every match and the page from as few matches as its order needs,
        in one statement (a second one only when the page runs past the first tier)."""
        words = query.words
        params = {**params, "expression": match_expression(words)}
        page_filters = filters
        if category is not None:
            page_filters = evolve(filters, bits=(*filters.bits, IN_CATEGORY))
        page_params = {**params, "offset": query.offset, "limit": query.limit}
        if query.sort == "relevance":
            page_params["page_expression"] = tier_expression(words, len(words))
            page = newest_sql(page_filters, "page_expression")
            page_params["last"] = query.offset + query.limit - 1
        elif query.sort == "newest":
            page_params["page_expression"] = params["expression"]
            page = newest_sql(page_filters, "page_expression")
            page_params["last"] = query.offset + query.limit - 1
        else:
            page = (
                f"SELECT d.product_id FROM {page_filters.source('s', 'd', join=True)}"
                f" WHERE {page_filters.where('s', 'd')}"
                f" ORDER BY {MATCH_ORDER[query.sort]} LIMIT :limit OFFSET :offset"
            )
        rows = await conn.execute(
            text(
                f"SELECT category, n, NULL AS product_id FROM ({facets_sql(filters)})"
                f" UNION ALL SELECT NULL, NULL, product_id FROM ({page})"
            ),
            page_params,
        )
        facets: dict[str, int] = {}
        ids: list[str] = []
        overflow = False
        for row in rows:
            if row.product_id is not None:
                ids.append(row.product_id)
            elif row.category is None:
                overflow = True
            else:
                facets[row.category] = row.n
        if overflow:  # code 0: the categories past 2**CODE_BITS, counted from their rows
            counted = await conn.execute(text(facets_sql(filters, overflow=True)), params)
            for row in counted:
                facets[row.category] = facets.get(row.category, 0) + row.n
        total = sum(
            n for name, n in facets.items() if category is None or fold(name).strip() == category
        )
        if query.sort == "relevance" and len(ids) < query.limit and total > query.offset:
            ids += await self._lower_tiers(conn, words, page_filters, params, query, ids)
        return SearchResult(ids=tuple(ids), total=total, facets=facets)

    async def _lower_tiers(
        self,
        conn: AsyncConnection,
        words: Sequence[str],
        filters: Filters,
        params: dict[str, Any],
        query: SearchQuery,
        top: list[str],
    ) -> list[str]:
        """The rest of a relevance page past the top tier (all words in the name): tier by
        tier, fewer words in the name each time, each tier newest first."""
        ids: list[str] = []
        limit = query.limit - len(top)
        offset = 0
        if not top and query.offset:
            offset = query.offset - await self._count(
                conn, filters, {**params, "expression": tier_expression(words, len(words))}
            )
        for named in range(len(words) - 1, -1, -1):
            expression = tier_expression(words, named)
            if expression is None:
                return ids + await self._ranked_in_one_pass(
                    conn, words, filters, params, named, offset, limit - len(ids)
                )
            tier = {
                **params,
                "page_expression": expression,
                "offset": offset,
                "limit": limit - len(ids),
                "last": offset + limit - len(ids) - 1,
            }
            page = list(await conn.scalars(text(newest_sql(filters, "page_expression")), tier))
            ids += page
            if len(ids) == limit:
                break
            if page:
                offset = 0
            elif offset:
                offset -= await self._count(conn, filters, {**params, "expression": expression})
        return ids

    async def _count(self, conn: AsyncConnection, filters: Filters, params: dict[str, Any]) -> int:
        matches = f"{filters.source('s', 'd')} WHERE {filters.where('s', 'd')}"
        count = await conn.scalar(text(f"SELECT count(*) FROM {matches}"), params)
        return int(count or 0)

    async def _ranked_in_one_pass(
        self,
        conn: AsyncConnection,
        words: Sequence[str],
        filters: Filters,
        params: dict[str, Any],
        most_named: int,
        offset: int,
        limit: int,
    ) -> list[str]:
        """The tiers from ``most_named`` words in the name down, from every match at once (many
        words, so few matches)."""
        named: dict[int, int] = {}
        for word in words:
            in_name = await conn.scalars(
                text("SELECT rowid FROM search_fts WHERE search_fts MATCH :expression"),
                {"expression": f"{{name}}: {phrase(word)} AND ({params['expression']})"},
            )
            for doc_id in in_name:
                named[doc_id] = named.get(doc_id, 0) + 1
        matches = await conn.execute(
            text(
                f"SELECT d.doc_id, d.product_id, d.created_ts"
                f" FROM {filters.source('s', 'd', join=True)} WHERE {filters.where('s', 'd')}"
            ),
            params,
        )
        ranked = sorted(
            (-named.get(m.doc_id, 0), -m.created_ts, m.product_id)
            for m in matches
            if named.get(m.doc_id, 0) <= most_named
        )
        return [product_id for _, _, product_id in ranked[offset : offset + limit]]

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
