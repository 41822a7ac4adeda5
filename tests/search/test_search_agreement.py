"""The SQL adapters answer exactly as the in-memory reference on a generated catalog: the same
page in the same order, the same total and the same facets.

The contract suite holds each adapter to hand-picked expectations on eight products; this holds
the fast paths of the SQL adapters (the newest end of FTS5 doclists, tiers of words in the name,
prefixes sent as known words, pages that straddle tiers) to the reference's exact order on a
catalog big enough for them to matter.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.search import fts5_sql, postgres_fts, sqlite_fts
from adapters.search.memory import MemorySearchIndex
from commerce_core.catalog.search import SearchDocument, SearchQuery
from integration.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    require_service,
)

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from search_catalog import generate

PRODUCTS = 3_000

QUERIES = [
    SearchQuery(text="laptop"),
    SearchQuery(text="lapt", limit=50),
    SearchQuery(text="wireless mouse"),
    SearchQuery(text="cafe royal", offset=100),
    SearchQuery(text="chair", min_price=Decimal("50"), max_price=Decimal("200")),
    SearchQuery(text="lamp", in_stock=True, sort="-price"),
    SearchQuery(text="orion x42"),
    SearchQuery(text="steel", offset=60),
    # Pages that start in one tier and end in the next (name, then description only).
    SearchQuery(text="laptop", offset=40, limit=10),
    SearchQuery(text="lamp", offset=45, limit=20),
    SearchQuery(text="lamp", offset=70, limit=20),
    SearchQuery(text="steel", offset=95, limit=30),
    # Two and three words: every split between name and description.
    SearchQuery(text="c l", limit=50, offset=300),
    SearchQuery(text="c l p", limit=100, offset=200),
    SearchQuery(text="acme steel x4", limit=100),
    SearchQuery(text="nova soft", limit=100, offset=3),
    # Four words: the lower tiers come from one pass.
    SearchQuery(text="s c l p", limit=100, offset=250),
    SearchQuery(text="e a s t", limit=30, offset=70),
    SearchQuery(text="se co la x"),
    SearchQuery(text="a e i u", limit=100, offset=7),
    SearchQuery(text="lamp", sort="newest", offset=5),
    SearchQuery(text="lamp", sort="name", limit=30),
    SearchQuery(text="lamp", sort="price", category="garden", in_stock=False),
    SearchQuery(text="se", category="LIGHTING", limit=40),
    SearchQuery(text="x1", offset=10),
    SearchQuery(text="zqzqzqzqzq"),
    SearchQuery(category="computers", sort="price"),
    SearchQuery(sort="newest", offset=2990),
]


@pytest.fixture(scope="module")
def catalog() -> list[SearchDocument]:
    documents = generate(PRODUCTS)
    # The newest products, created in one second (as the newest of the others): their order
    # comes from the ids, not from the order they were indexed in.
    same_second = documents[-1].created_at
    return [
        *documents,
        *(
            SearchDocument(
                product_id=f"tie-{n:02d}",
                sku=f"TIE-{n}",
                name=f"Tie Lamp {n}",
                description="steel",
                category="Lighting",
                price=Decimal("10.00"),
                currency="EUR",
                in_stock=True,
                created_at=same_second,
            )
            for n in (3, 1, 2, 0)
        ),
    ]


async def _sqlite(tmp_path: Path, catalog: list[SearchDocument]) -> AsyncIterator[Any]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/search.db")
    await sqlite_fts.create_schema(engine)
    index = sqlite_fts.SqliteFtsSearchIndex(engine)
    await index.index(catalog)
    try:
        yield index
    finally:
        await engine.dispose()


async def _postgresql(catalog: list[SearchDocument]) -> AsyncIterator[Any]:
    require_service(postgres_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    name, url = create_postgres_database()
    engine = create_async_engine(url)
    try:
        await postgres_fts.create_schema(engine)
        index = postgres_fts.PostgresFtsSearchIndex(engine)
        await index.index(catalog)
        await postgres_fts.reorganize(engine)  # the layout changes no answer
        yield index
    finally:
        await engine.dispose()
        drop_postgres_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def sql_index(
    request: pytest.FixtureRequest, tmp_path: Path, catalog: list[SearchDocument]
) -> AsyncIterator[Any]:
    opened = _sqlite(tmp_path, catalog) if request.param == "sqlite" else _postgresql(catalog)
    async for index in opened:
        yield index


async def _assert_same_answers(index: Any, reference: MemorySearchIndex) -> None:
    for query in QUERIES:
        expected = await reference.query(query)
        assert expected.total > 0 or query.text == "zqzqzqzqzq", query  # the catalog exercises it
        got = await index.query(query)
        assert (got.ids, got.total, dict(got.facets)) == (
            expected.ids,
            expected.total,
            dict(expected.facets),
        ), query


async def _change(indexes: list[Any], catalog: list[SearchDocument]) -> None:
    """Stock figures, categories and names change after indexing (the SQLite doc_id follows)."""
    for n, document in enumerate(catalog[-600::7]):
        for index in indexes:
            await index.set_in_stock(document.product_id, not document.in_stock, n + 1)
    moved = [
        evolve(
            d, category="Lighting" if d.category != "Lighting" else "Garden", name=f"{d.name} Lamp"
        )
        for d in catalog[-400::11]
    ]
    for index in indexes:
        await index.index(moved)


async def test_sql_adapters_answer_as_the_reference(
    sql_index: Any, catalog: list[SearchDocument]
) -> None:
    reference = MemorySearchIndex()
    await reference.index(catalog)
    await _assert_same_answers(sql_index, reference)
    await _change([sql_index, reference], catalog)
    await _assert_same_answers(sql_index, reference)


async def test_sqlite_categories_past_the_rowid_bits_count_from_rows(
    tmp_path: Path, catalog: list[SearchDocument]
) -> None:
    """Codes from 2**14 on do not fit the doc_id: those categories are counted from the rows."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/search.db")
    await sqlite_fts.create_schema(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO search_categories (code, category, category_key)"
                " VALUES (:code, 'Filler', 'filler')"
            ),
            {"code": 2**fts5_sql.CODE_BITS - 2},
        )
    index = sqlite_fts.SqliteFtsSearchIndex(engine)
    reference = MemorySearchIndex()
    try:
        # One category gets the last code that fits, the others share code 0; half the catalog
        # is indexed again.
        await index.index(catalog[: len(catalog) // 2])
        await index.index(catalog)
        await reference.index(catalog)
        await _assert_same_answers(index, reference)
    finally:
        await engine.dispose()
