"""SQLite FTS5 search, the embedded default.

``search_documents`` holds what filters and sorts need; the FTS5 table ``search_fts`` indexes its
text (external content, kept in step by triggers) with the unicode61 tokenizer folding case and
accents, and prefix indexes for short prefixes. Relevance is the port's: the number of words found
in the name (FTS5's ``{name}:`` filter), then newest first. A document's rowid is its age: one
bucket per second of ``created_at``, so "newest matches of this expression" is the tail of
FTS5's rowid-ordered doclist (read backwards) and a page of a broad query never ranks every match.
The schema lives in :func:`schema_statements`, which the migration and the tests both run.
"""

from __future__ import annotations

import contextlib
import itertools
import math
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

PRICE_SCALE = Decimal(10_000)
# Reads through a memory map: a query touches thousands of rows spread over the file, and a
# syscall per page (SQLite's default) costs more than the query's own work.
MMAP_BYTES = 256 * 2**20  # prices held as integer ten-thousandths: exact and indexable
# doc_id = age bucket * 2**SLOT_BITS + slot: whole seconds since AGE_EPOCH, then the slot that
# numbers the products created within that second. New products append to the b-trees.
SLOT_BITS = 20
AGE_EPOCH = 1_577_836_800  # 2020-01-01: keys stay small around today
MAX_AGE = 2**42 - 1  # |doc_id| < 2**62, whatever the date
# Tiers of "words found in the name" are FTS5 expressions, one alternative per choice of words;
# past this many alternatives the remaining tiers are ranked from one pass over the matches.
MAX_TIER_ALTERNATIVES = 3

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
    prefix='2 3 4', detail=column, columnsize=0
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


def age_bucket(created_ts: float) -> int:
    """Whole seconds since AGE_EPOCH: a newer product has a larger bucket."""
    return max(-MAX_AGE, min(MAX_AGE, math.floor(created_ts) - AGE_EPOCH))


def document_row(document: SearchDocument) -> dict[str, Any]:
    created_ts = document.created_at.timestamp()
    first_slot = age_bucket(created_ts) << SLOT_BITS
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
        "first_slot": first_slot,
        "last_slot": first_slot + 2**SLOT_BITS - 1,
    }


# The next free slot of the document's second; a product keeps its doc_id while its second stays.
# (More than 2**20 products created in one second would collide and fail the insert.)
_UPSERT = text(
    """INSERT INTO search_documents (doc_id, product_id, sku, name, description, category, extra,
        category_key, name_key, price, price_units, currency, in_stock, stock_version,
        created_at, created_ts)
    VALUES ((SELECT coalesce(max(doc_id) + 1, :first_slot) FROM search_documents
            WHERE doc_id BETWEEN :first_slot AND :last_slot),
        :product_id, :sku, :name, :description, :category, :extra, :category_key,
        :name_key, :price, :price_units, :currency, :in_stock, :stock_version, :created_at,
        :created_ts)
    ON CONFLICT (product_id) DO UPDATE SET
        doc_id = CASE WHEN search_documents.doc_id BETWEEN :first_slot AND :last_slot
            THEN search_documents.doc_id ELSE excluded.doc_id END,
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


_MATCH_ORDER = {
    "price": "d.price_units, d.name_key, d.product_id",
    "-price": "d.price_units DESC, d.name_key, d.product_id",
    "name": "d.name_key, d.product_id",
}
_MATCHES = "search_fts JOIN search_documents d ON d.doc_id = search_fts.rowid"
# The first rowid of the bucket (second) of the row at :last, newest first: every row from it on
# is as new as that row or newer, so the exact order of the page is among them.
_PAGE_BOUND = f"""coalesce((
    SELECT (f.rowid >> {SLOT_BITS}) << {SLOT_BITS}
    FROM search_fts AS f JOIN search_documents e ON e.doc_id = f.rowid
    WHERE f.search_fts MATCH :expression {{conditions}}
    ORDER BY f.rowid DESC LIMIT 1 OFFSET :last), {-(2**63)})"""


def _phrase(word: str) -> str:
    """A word as a quoted prefix term: the shopper's text never reaches FTS5's syntax."""
    return '"' + word.replace('"', '""') + '"*'


def match_expression(words: Sequence[str]) -> str:
    """Every word, anywhere."""
    return " AND ".join(_phrase(w) for w in words)


def tier_expression(words: Sequence[str], named: int) -> str | None:
    """Every word somewhere and exactly ``named`` of them in the name; None when that takes more
    than MAX_TIER_ALTERNATIVES alternatives (one per choice of the named words)."""
    choices = list(itertools.combinations(range(len(words)), named))
    if len(choices) > MAX_TIER_ALTERNATIVES:
        return None
    in_name = [f"{{name}}: {_phrase(w)}" for w in words]
    elsewhere = [f"({_phrase(w)} NOT {{name}}: {_phrase(w)})" for w in words]
    return " OR ".join(
        "("
        + " AND ".join(in_name[i] if i in chosen else elsewhere[i] for i in range(len(words)))
        + ")"
        for chosen in choices
    )


def _and(conditions: Sequence[str], alias: str) -> str:
    return "".join(f" AND {c.format(t=alias)}" for c in conditions)


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
            held = (
                await conn.execute(
                    text(
                        "SELECT in_stock, stock_version FROM search_documents WHERE product_id = :p"
                    ),
                    {"p": product_id},
                )
            ).first()
            if held is None or held.stock_version >= stock_version:
                return False
            await conn.execute(
                text(
                    "UPDATE search_documents SET in_stock = :s, stock_version = :v"
                    " WHERE product_id = :p AND stock_version < :v"
                ),
                {"p": product_id, "s": int(in_stock), "v": stock_version},
            )
        return bool(held.in_stock) != in_stock

    async def remove(self, product_id: str) -> None:
        await remove_document(self._engine, product_id)

    async def documents(self) -> dict[str, SearchDocument]:
        return await load_documents(self._engine)

    async def query(self, query: SearchQuery) -> SearchResult:
        params: dict[str, Any] = {}
        conditions: list[str] = []  # templates over a table alias {t}
        if query.min_price is not None:
            conditions.append("{t}.price_units >= :min_price")
            params["min_price"] = price_units(query.min_price, ROUND_CEILING)
        if query.max_price is not None:
            conditions.append("{t}.price_units <= :max_price")
            params["max_price"] = price_units(query.max_price, ROUND_FLOOR)
        if query.in_stock is not None:
            conditions.append("{t}.in_stock = :in_stock")
            params["in_stock"] = int(query.in_stock)
        category = query.category_key
        if category is not None:
            params["category"] = category
        async with self._reading() as conn:
            if query.words:
                return await self._search(conn, query, conditions, params, category)
            params["limit"], params["offset"] = query.limit, query.offset
            browse = [c.format(t="d") for c in conditions]
            return await self._browse(conn, query, browse, params, category)

    async def _search(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        conditions: list[str],
        params: dict[str, Any],
        category: str | None,
    ) -> SearchResult:
        """Category counts over every match; the page from as few matches as its order needs."""
        words = query.words
        params = {**params, "expression": match_expression(words)}
        facets: dict[str, int] = {}
        total = 0
        counts = await conn.execute(
            text(
                f"SELECT d.category, count(*) AS n FROM {_MATCHES}"
                f" WHERE search_fts MATCH :expression{_and(conditions, 'd')}"
                " GROUP BY d.category"
            ),
            params,
        )
        for row in counts:
            facets[row.category] = row.n
            if category is None or fold(row.category).strip() == category:
                total += row.n
        if total <= query.offset:
            return SearchResult(ids=(), total=total, facets=facets)
        if category is not None:
            conditions = [*conditions, "{t}.category_key = :category"]
        if query.sort == "relevance":
            ids = await self._by_relevance(conn, words, conditions, params, query)
        elif query.sort == "newest":
            ids = await self._newest(conn, conditions, params, query.offset, query.limit)
        else:
            page = await conn.scalars(
                text(
                    f"SELECT d.product_id FROM {_MATCHES}"
                    f" WHERE search_fts MATCH :expression{_and(conditions, 'd')}"
                    f" ORDER BY {_MATCH_ORDER[query.sort]} LIMIT :limit OFFSET :offset"
                ),
                {**params, "limit": query.limit, "offset": query.offset},
            )
            ids = list(page)
        return SearchResult(ids=tuple(ids), total=total, facets=facets)

    async def _newest(
        self,
        conn: AsyncConnection,
        conditions: list[str],
        params: dict[str, Any],
        offset: int,
        limit: int,
    ) -> list[str]:
        """The matches of :expression newest first, reading only the head of the doclist."""
        bound = _PAGE_BOUND.format(conditions=_and(conditions, "e"))
        page = await conn.scalars(
            text(
                f"SELECT d.product_id FROM {_MATCHES}"
                f" WHERE search_fts MATCH :expression{_and(conditions, 'd')}"
                f" AND search_fts.rowid >= {bound}"
                " ORDER BY d.created_ts DESC, d.product_id LIMIT :limit OFFSET :offset"
            ),
            {**params, "offset": offset, "limit": limit, "last": offset + limit - 1},
        )
        return list(page)

    async def _by_relevance(
        self,
        conn: AsyncConnection,
        words: Sequence[str],
        conditions: list[str],
        params: dict[str, Any],
        query: SearchQuery,
    ) -> list[str]:
        """Tier by tier (most words in the name first), each tier newest first."""
        ids: list[str] = []
        offset = query.offset
        for named in range(len(words), -1, -1):
            expression = tier_expression(words, named)
            if expression is None:
                return ids + await self._ranked_in_one_pass(
                    conn, words, conditions, params, named, offset, query.limit - len(ids)
                )
            tier = {**params, "expression": expression}
            page = await self._newest(conn, conditions, tier, offset, query.limit - len(ids))
            ids += page
            if len(ids) == query.limit:
                break
            if page:
                offset = 0
            elif offset:
                offset -= await conn.scalar(
                    text(
                        f"SELECT count(*) FROM {_MATCHES}"
                        f" WHERE search_fts MATCH :expression{_and(conditions, 'd')}"
                    ),
                    tier,
                )
        return ids

    async def _ranked_in_one_pass(
        self,
        conn: AsyncConnection,
        words: Sequence[str],
        conditions: list[str],
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
                {"expression": f"{{name}}: {_phrase(word)} AND ({params['expression']})"},
            )
            for doc_id in in_name:
                named[doc_id] = named.get(doc_id, 0) + 1
        matches = await conn.execute(
            text(
                f"SELECT d.doc_id, d.product_id, d.created_ts FROM {_MATCHES}"
                f" WHERE search_fts MATCH :expression{_and(conditions, 'd')}"
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
