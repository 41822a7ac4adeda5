"""PostgreSQL full-text search.

``search_documents.document`` is a tsvector of the name, sku, category and description (stripped:
no positions or weights, which no query reads) under a GIN index, built with the
``commerce_search`` configuration: 'simple' with unaccent when the extension exists. Text is also
folded in Python before it reaches the database, so the results are the same where unaccent is
missing. A query is parsed into plain words in Python and sent as ``'word':* & ...`` (prefix
matching), never as tsquery syntax from the shopper; a prefix that only a few known words start
with is sent as those words, which GIN finds without a partial-match scan. Relevance is the
port's: the number of words found in the name (``name_words``, the name's folded words between
spaces, so a word start is ``strpos(name_words, ' ' || word)``), then newest first. When
nothing matches, words absent from the vocabulary (``search_terms``: the folded words and the
tsvectors' lexemes, under a pg_trgm index) are widened to the known words one edit away: a
one-letter typo still finds the product.
The schema lives in :func:`schema_statements`, which the migration and the tests both run.

A broad text query reads the heap row of every match (its category for the counts, its name
words and age for the order: GIN says which rows match, nothing about them), and on PostgreSQL 15
that is one page per match when matches are scattered. Rows are therefore kept in the order of
``ix_search_documents_name`` (folded name), where products sharing the first words of their name
(brand, line) share pages: :func:`reorganize` rewrites the table in that order (``CLUSTER``, which
locks it while it runs: ~4 s at 100,000 products), and ``fillfactor`` 90 leaves room on each page
so a stock change stays on its page (a HOT update, no GIN entry) instead of moving the row.
Products added later go wherever there is room until the next :func:`reorganize`. Results never
depend on the layout: every order ends with the product id.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.search.sql_documents import load_documents, remove_document
from commerce_core.catalog.search import (
    SearchDocument,
    SearchQuery,
    SearchResult,
    clean,
    fold,
    words_of,
)

CONFIG = "commerce_search"
TYPO_CANDIDATES = 8
# A prefix that at most this many known words start with is sent as those words.
MAX_PREFIX_EXPANSION = 8
_PLAIN_WORD = re.compile(r"[a-z0-9]+")  # normalized to itself by the parser and unaccent


def documents_table(name: str = "search_documents") -> str:
    """What a text query reads of a match comes first in the row (the facts, then the name's
    words), so reading it never steps over the description and the tsvector."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        created_at timestamptz NOT NULL,
        stock_version bigint NOT NULL DEFAULT 0,
        in_stock boolean NOT NULL,
        product_id text PRIMARY KEY,
        category text NOT NULL,
        category_key text NOT NULL,
        name_words text NOT NULL DEFAULT '',
        price numeric(18, 4) NOT NULL,
        name_key text NOT NULL,
        currency text NOT NULL,
        sku text NOT NULL,
        name text NOT NULL,
        description text NOT NULL,
        document tsvector NOT NULL
    )"""


_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
            CREATE EXTENSION IF NOT EXISTS unaccent;
        END IF;
    END $$""",
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}') THEN
            CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple);
            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
                ALTER TEXT SEARCH CONFIGURATION {CONFIG}
                    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
            END IF;
        END IF;
    END $$""",
    documents_table(),
    # No pending list: a query never scans a backlog of unmerged entries (writes pay instead).
    "CREATE INDEX IF NOT EXISTS ix_search_documents_document ON search_documents"
    " USING gin (document) WITH (fastupdate = off)",
    # Browsing a category in each order is an index range, not a sort.
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category ON search_documents"
    " (category_key, category)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_price ON search_documents"
    " (price, name_key, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_created ON search_documents"
    " (created_at DESC, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_name ON search_documents"
    " (name_key, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category_price ON search_documents"
    " (category_key, price, name_key, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category_created ON search_documents"
    " (category_key, created_at DESC, product_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_category_name ON search_documents"
    " (category_key, name_key, product_id)",
    # Rows in name order (see reorganize), room on each page for their updates.
    "ALTER TABLE search_documents SET (fillfactor = 90)",
    "ALTER TABLE search_documents CLUSTER ON ix_search_documents_name",
    # Category counts per stock state, kept by a trigger: browsing without words or a price
    # range reads a few dozen rows instead of counting the catalog.
    """CREATE TABLE IF NOT EXISTS search_category_counts (
        category_key text NOT NULL,
        category text NOT NULL,
        in_stock boolean NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (category_key, category, in_stock)
    )""",
    """CREATE OR REPLACE FUNCTION search_count_categories() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE search_category_counts SET n = n - 1 WHERE category_key = OLD.category_key
                AND category = OLD.category AND in_stock = OLD.in_stock;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO search_category_counts (category_key, category, in_stock, n)
            VALUES (NEW.category_key, NEW.category, NEW.in_stock, 1)
            ON CONFLICT (category_key, category, in_stock) DO UPDATE
                SET n = search_category_counts.n + 1;
        END IF;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS search_counts_insert_delete ON search_documents",
    """CREATE TRIGGER search_counts_insert_delete AFTER INSERT OR DELETE ON search_documents
    FOR EACH ROW EXECUTE FUNCTION search_count_categories()""",
    "DROP TRIGGER IF EXISTS search_counts_update ON search_documents",
    """CREATE TRIGGER search_counts_update AFTER UPDATE ON search_documents
    FOR EACH ROW WHEN (OLD.category_key IS DISTINCT FROM NEW.category_key
        OR OLD.category IS DISTINCT FROM NEW.category OR OLD.in_stock IS DISTINCT FROM NEW.in_stock)
    EXECUTE FUNCTION search_count_categories()""",
    'CREATE TABLE IF NOT EXISTS search_terms (word text COLLATE "C" PRIMARY KEY)',
    "CREATE INDEX IF NOT EXISTS ix_search_terms_trgm ON search_terms"
    " USING gin (word gin_trgm_ops) WITH (fastupdate = off)",
)


def schema_statements() -> list[str]:
    """The DDL of the search schema, idempotent; the alembic revision runs exactly this."""
    return list(_STATEMENTS)


def drop_statements() -> list[str]:
    return [
        "DROP TABLE IF EXISTS search_terms",
        "DROP TABLE IF EXISTS search_documents",
        "DROP TABLE IF EXISTS search_category_counts",
        "DROP FUNCTION IF EXISTS search_count_categories()",
        f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
    ]


def reorganize_statements() -> list[str]:
    """Rewrite the rows in the clustered index's order (pages of products sharing name words)."""
    return ["CLUSTER search_documents", "ANALYZE search_documents"]


async def reorganize(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in reorganize_statements():
            await conn.execute(text(statement))


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for statement in schema_statements():
            await conn.execute(text(statement))


def _folded(value: str) -> str:
    return " ".join(words_of(value))


_UPSERT = text(
    f"""INSERT INTO search_documents AS d (product_id, sku, name, description, category,
        category_key, name_key, price, currency, in_stock, stock_version, created_at, document,
        name_words)
    VALUES (:product_id, :sku, :name, :description, :category, :category_key, :name_key,
        :price, :currency, :in_stock, :stock_version, :created_at,
        strip(to_tsvector('{CONFIG}', :name_words || ' ' || :extra_words || ' '
            || :description_words)),
        ' ' || :name_words)
    ON CONFLICT (product_id) DO UPDATE SET sku = excluded.sku, name = excluded.name,
        description = excluded.description, category = excluded.category,
        category_key = excluded.category_key, name_key = excluded.name_key,
        price = excluded.price, currency = excluded.currency,
        in_stock = CASE WHEN excluded.stock_version >= d.stock_version
            THEN excluded.in_stock ELSE d.in_stock END,
        stock_version = greatest(excluded.stock_version, d.stock_version),
        created_at = excluded.created_at, document = excluded.document,
        name_words = excluded.name_words"""
)

# The lexemes too: where unaccent folds further than Python ("ø" to "o"), the index holds the
# lexeme, and prefix expansion must know every word the index holds.
_ADD_TERMS = text(
    """INSERT INTO search_terms (word)
    SELECT DISTINCT word FROM (
        SELECT unnest(:words) AS word
        UNION ALL
        SELECT unnest(tsvector_to_array(document)) FROM search_documents
        WHERE product_id = ANY(:ids)
    ) AS terms ON CONFLICT DO NOTHING"""
).bindparams(bindparam("words", type_=ARRAY(TEXT)), bindparam("ids", type_=ARRAY(TEXT)))

# The group of a plain word alone: the few known words it starts ('a' | 'ab'), which GIN finds
# without a partial-match scan, else the group as given ('a':*). A range of the primary key
# ("C" collation), in the query's own statement.
_EXPANDED_GROUP = f"""(SELECT CASE
        WHEN count(*) BETWEEN 1 AND {MAX_PREFIX_EXPANSION} AND bool_and(t.word ~ '^[a-z0-9]+$')
        THEN '(' || string_agg('''' || t.word || '''', ' | ') || ')'
        ELSE CAST(:group_{{n}} AS text) END
    FROM (SELECT word FROM search_terms WHERE word >= :word_{{n}}
        AND word < :word_{{n}} || chr(1114111) ORDER BY word
        LIMIT {MAX_PREFIX_EXPANSION + 1}) AS t)"""

_MATCH_ORDER = {
    "relevance": "named DESC, created_at DESC, product_id",
    "price": "price, name_key, product_id",
    "-price": "price DESC, name_key, product_id",
    "name": "name_key, product_id",
    "newest": "created_at DESC, product_id",
}
_ORDER = {
    "price": "d.price, d.name_key, d.product_id",
    "-price": "d.price DESC, d.name_key, d.product_id",
    "name": "d.name_key, d.product_id",
    "newest": "d.created_at DESC, d.product_id",
}


def tsquery_text(alternatives: Sequence[Sequence[str]]) -> str:
    """``('a':* | 'b':*) & ...`` from plain words (letters and digits only, so quoting is safe)."""
    return " & ".join(_group(words) for words in alternatives)


def _group(words: Sequence[str]) -> str:
    return "(" + " | ".join(f"'{w}':*" for w in words if "'" not in w and "\\" not in w) + ")"


def tsquery_sql(
    alternatives: Sequence[Sequence[str]], params: dict[str, Any], *, expand: bool
) -> str:
    """SQL for the text of the tsquery (its parameters go into ``params``): with ``expand``, a
    plain word alone in its group goes as the few known words it starts."""
    groups = []
    for n, words in enumerate(alternatives):
        params[f"group_{n}"] = _group(words)
        if expand and len(words) == 1 and _PLAIN_WORD.fullmatch(words[0]):
            params[f"word_{n}"] = words[0]
            groups.append(_EXPANDED_GROUP.format(n=n))
        else:
            groups.append(f"CAST(:group_{n} AS text)")
    return " || ' & ' || ".join(groups)


def one_edit_apart(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance at most 1 (a swap of neighbours counts as one typo)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# Runs a read on a connection of the server it picks (a read replica, or the primary).
Reader = Callable[[Callable[[AsyncConnection], Awaitable[SearchResult]]], Awaitable[SearchResult]]


class PostgresFtsSearchIndex:
    def __init__(self, engine: AsyncEngine, *, reader: Reader | None = None) -> None:
        self._engine = engine
        self._reader = reader  # queries only: the index is written on the primary

    async def compact(self) -> None:
        """Rewrites the table in name order (CLUSTER, then ANALYZE): products added since the
        last run land at its end and spread a query's matches over more pages. CLUSTER locks
        the table (about 4 s at 100,000 products): searches wait meanwhile."""
        await reorganize(self._engine)

    async def index(self, documents: Iterable[SearchDocument]) -> None:
        rows = []
        terms: set[str] = set()
        for d in documents:
            extra = f"{d.sku} {d.category}"
            rows.append(
                {
                    "product_id": d.product_id,
                    "sku": clean(d.sku),
                    "name": clean(d.name),
                    "description": clean(d.description),
                    "category": clean(d.category),
                    "category_key": fold(clean(d.category)).strip(),
                    "name_key": fold(clean(d.name)),
                    "price": d.price,
                    "currency": d.currency,
                    "in_stock": d.in_stock,
                    "stock_version": d.stock_version,
                    "created_at": d.created_at,
                    "name_words": _folded(d.name),
                    "extra_words": _folded(extra),
                    "description_words": _folded(d.description),
                }
            )
            terms.update(words_of(f"{d.name} {d.description} {extra}"))
        if not rows:
            return
        async with self._engine.begin() as conn:
            await conn.execute(_UPSERT, rows)
            await conn.execute(
                _ADD_TERMS, {"words": sorted(terms), "ids": [r["product_id"] for r in rows]}
            )

    async def set_in_stock(self, product_id: str, in_stock: bool, stock_version: int) -> bool:
        async with self._engine.begin() as conn:
            held = (
                await conn.execute(
                    text(
                        "SELECT in_stock FROM search_documents"
                        " WHERE product_id = :p AND stock_version < :v FOR UPDATE"
                    ),
                    {"p": product_id, "v": stock_version},
                )
            ).first()
            if held is None:
                return False  # unknown, or it holds a figure as new or newer
            await conn.execute(
                text(
                    "UPDATE search_documents SET in_stock = :s, stock_version = :v"
                    " WHERE product_id = :p"
                ),
                {"p": product_id, "s": in_stock, "v": stock_version},
            )
        return bool(held.in_stock) != in_stock

    async def remove(self, product_id: str) -> None:
        # The vocabulary keeps the product's words: a stale term only widens a typo search.
        await remove_document(self._engine, product_id)

    async def documents(self) -> dict[str, SearchDocument]:
        return await load_documents(self._engine)

    async def query(self, query: SearchQuery) -> SearchResult:
        if self._reader is not None:
            return await self._reader(lambda conn: self._query_on(conn, query))
        async with self._engine.connect() as conn:
            return await self._query_on(conn, query)

    async def _query_on(self, conn: AsyncConnection, query: SearchQuery) -> SearchResult:
        words = query.words
        result = await self._run(conn, query, [[w] for w in words], expand=True)
        if result.total == 0 and words:
            widened = await self._widen(conn, words)
            if widened is not None:
                result = await self._run(conn, query, widened)
        return result

    async def _widen(self, conn: AsyncConnection, words: Sequence[str]) -> list[list[str]] | None:
        """Each word that no indexed word starts with, with the known words one typo away."""
        alternatives: list[list[str]] = []
        changed = False
        for word in words:
            known = await conn.scalar(
                text("SELECT EXISTS (SELECT 1 FROM search_terms WHERE word LIKE :prefix)"),
                {"prefix": word + "%"},
            )
            if known:
                alternatives.append([word])
                continue
            # A low threshold: a short word loses most of its trigrams to one typo.
            await conn.execute(text("SELECT set_limit(0.2)"))
            candidates = await conn.scalars(
                text("SELECT word FROM search_terms WHERE word % :w ORDER BY word <-> :w LIMIT :n"),
                {"w": word, "n": TYPO_CANDIDATES * 4},
            )
            close = [
                c
                for c in candidates
                if one_edit_apart(word, c) or one_edit_apart(word, c[: len(word)])
            ][:TYPO_CANDIDATES]
            if not close:
                return None
            alternatives.append(close)
            changed = True
        return alternatives if changed else None

    async def _run(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        alternatives: Sequence[Sequence[str]],
        *,
        expand: bool = False,
    ) -> SearchResult:
        params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
        conditions: list[str] = []
        if query.min_price is not None:
            conditions.append("d.price >= :min_price")
            params["min_price"] = query.min_price
        if query.max_price is not None:
            conditions.append("d.price <= :max_price")
            params["max_price"] = query.max_price
        if query.in_stock is not None:
            conditions.append("d.in_stock = :in_stock")
            params["in_stock"] = query.in_stock
        category = query.category_key
        if category is not None:
            params["category"] = category
        if alternatives:
            tsquery = tsquery_sql(alternatives, params, expand=expand)
            named = []
            for n, words in enumerate(alternatives):
                starts = []
                for m, word in enumerate(words):
                    params[f"start_{n}_{m}"] = " " + word
                    starts.append(f"strpos(d.name_words, :start_{n}_{m}) > 0")
                named.append(f"({' OR '.join(starts)})::int")
            score = " + ".join(named) if query.sort == "relevance" else "0"
            return await self._search(conn, query, conditions, params, category, tsquery, score)
        return await self._browse(conn, query, conditions, params, category)

    async def _search(
        self,
        conn: AsyncConnection,
        query: SearchQuery,
        conditions: list[str],
        params: dict[str, Any],
        category: str | None,
        tsquery: str,
        named: str,
    ) -> SearchResult:
        """One pass over the matches: their category counts and the page, from one scan.
        ``named`` counts the words found in the name (relevance)."""
        where = " AND ".join(["d.document @@ q.query", *conditions])
        in_category = "WHERE category_key = :category" if category is not None else ""
        # Each match is stored in m: only the columns this query's page reads (storing the
        # others cost ~0.1 us a match). Only the sorts by price and name read past name_words.
        columns = ["d.product_id", "d.category", "d.created_at"]
        if category is not None:
            columns.append("d.category_key")
        if query.sort in ("price", "-price", "name"):
            columns.extend(["d.price", "d.name_key"])
        if query.sort == "relevance":
            columns.append(f"{named} AS named")
        statement = f"""
            WITH m AS MATERIALIZED (
                SELECT {", ".join(columns)}
                FROM search_documents d, to_tsquery('{CONFIG}', {tsquery}) AS q(query)
                WHERE {where}
            ),
            facets AS (SELECT category, count(*) AS n FROM m GROUP BY category),
            page AS (
                SELECT product_id, row_number() OVER () AS position FROM (
                    SELECT product_id FROM m {in_category}
                    ORDER BY {_MATCH_ORDER[query.sort]} LIMIT :limit OFFSET :offset
                ) AS ordered
            )
            SELECT NULL AS product_id, 0::bigint AS position, category, n FROM facets
            UNION ALL
            SELECT product_id, position, NULL, NULL FROM page
            ORDER BY position"""
        return _result(await conn.execute(text(statement), params), category)

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
                "SELECT NULL AS product_id, category_key, category, sum(n) AS n"
                f" FROM search_category_counts WHERE n > 0 {stock}"
                " GROUP BY category_key, category"
            )
        else:
            counts = text(
                "SELECT NULL AS product_id, d.category_key, d.category, count(*) AS n"
                f" FROM search_documents d WHERE {' AND '.join(conditions)}"
                " GROUP BY d.category_key, d.category"
            )
        result = _result(await conn.execute(counts, params), category)
        if result.total == 0:
            return result
        if category is not None:
            conditions = [*conditions, "d.category_key = :category"]
        sort = "newest" if query.sort == "relevance" else query.sort
        page = await conn.scalars(
            text(
                f"SELECT d.product_id FROM search_documents d"
                f" WHERE {' AND '.join(conditions) or 'true'}"
                f" ORDER BY {_ORDER[sort]} LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        return SearchResult(ids=tuple(page), total=result.total, facets=result.facets)


def _result(rows: Any, category: str | None) -> SearchResult:
    """Rows without a product id are category counts; the others the page, in order."""
    facets: dict[str, int] = {}
    total = 0
    ids: list[str] = []
    for row in rows:
        if row.product_id is not None:
            ids.append(row.product_id)
            continue
        facets[row.category] = facets.get(row.category, 0) + int(row.n)
        if category is None or fold(row.category).strip() == category:
            total += int(row.n)
    return SearchResult(ids=tuple(ids), total=total, facets=facets)
