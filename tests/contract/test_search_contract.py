"""One contract for every search adapter: the same catalog, the same queries, the same results.

Memory and SQLite FTS5 run here always; PostgreSQL when it is reachable (a database created for
this run); Elasticsearch against recorded REST exchanges replayed on loopback (the node checks
every request against the recording). A real cluster runs test_elasticsearch_cluster.py.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from elasticsearch import AsyncElasticsearch
from fake_elasticsearch import FakeElasticsearch, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_scenarios import (
    CATALOG,
    HOSTILE_TEXTS,
    SCENARIOS,
    TYPO_SCENARIOS,
    Expect,
    Query,
    Reindex,
    Remove,
    SetStock,
    Step,
)
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.elasticsearch.search import ElasticsearchSearchIndex, search_body, source_of
from adapters.search import postgres_fts, sqlite_fts
from adapters.search.memory import MemorySearchIndex
from commerce_core.catalog.search import SearchQuery, SearchResult
from integration.databases import require_service

ADMIN_DSN = os.environ.get(
    "COMMERCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ES_INDEX = "products-contract"


async def _postgres_url() -> str | None:
    try:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    name = f"commerce_search_{secrets.token_hex(4)}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def _drop_postgres(url: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def search_index(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    kind: str = request.param
    if kind == "memory":
        yield MemorySearchIndex()
    elif kind == "sqlite":
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/search.db")
        await sqlite_fts.create_schema(engine)
        try:
            yield sqlite_fts.SqliteFtsSearchIndex(engine)
        finally:
            await engine.dispose()
    elif kind == "postgresql":
        url = await _postgres_url()
        require_service(url is not None, "PostgreSQL is not reachable at 127.0.0.1:5432")
        assert url is not None
        engine = create_async_engine(url)
        try:
            await postgres_fts.create_schema(engine)
            yield postgres_fts.PostgresFtsSearchIndex(engine)
        finally:
            await engine.dispose()
            await _drop_postgres(url)
    else:
        raise AssertionError(kind)


def _check(result: SearchResult, expect: Expect, query: SearchQuery) -> None:
    position = 0
    for group in expect.groups:
        got = set(result.ids[position : position + len(group)])
        assert got == group, f"{query}: {result.ids} does not follow {expect.groups}"
        position += len(group)
    assert len(result.ids) == position, f"{query}: {result.ids} has more than {expect.groups}"
    if expect.total is not None:
        assert result.total == expect.total, query
    if expect.facets is not None:
        assert dict(result.facets) == expect.facets, query


async def _play(index: Any, steps: list[Step]) -> None:
    await index.index(CATALOG)
    for step in steps:
        if isinstance(step, Remove):
            await index.remove(step.product_id)
        elif isinstance(step, Reindex):
            await index.index([step.document])
        elif isinstance(step, SetStock):
            changed = await index.set_in_stock(step.product_id, step.in_stock, step.stock_version)
            assert changed == step.changed, step
        else:
            assert isinstance(step, Query)
            _check(await index.query(step.query), step.expect, step.query)


SQL_AND_MEMORY = ["memory", "sqlite", "postgresql"]


@pytest.mark.parametrize("search_index", SQL_AND_MEMORY, indirect=True)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_search_contract(search_index: Any, scenario: str) -> None:
    await _play(search_index, SCENARIOS[scenario])


@pytest.mark.parametrize("search_index", ["postgresql"], indirect=True)
@pytest.mark.parametrize("scenario", sorted(TYPO_SCENARIOS))
async def test_typo_contract(search_index: Any, scenario: str) -> None:
    await _play(search_index, TYPO_SCENARIOS[scenario])


@pytest.mark.parametrize("scenario", sorted({**SCENARIOS, **TYPO_SCENARIOS}))
async def test_search_contract_on_elasticsearch(scenario: str) -> None:
    node = FakeElasticsearch(load(scenario))
    url = await node.start()
    client = AsyncElasticsearch(url)
    try:
        index = ElasticsearchSearchIndex(client, ES_INDEX)
        await index.create_index()
        await _play(index, {**SCENARIOS, **TYPO_SCENARIOS}[scenario])
    finally:
        await client.close()
        await node.stop()
    assert node.mismatches == []
    assert not node.expected, f"{len(node.expected)} recorded requests were never sent"


async def test_an_existing_elasticsearch_index_is_kept() -> None:
    error = {
        "error": {
            "root_cause": [{
                "type": "resource_already_exists_exception",
                "reason": f"index [{ES_INDEX}/aBcDeFgHiJkLmNoPqRsTuV] already exists",
                "index_uuid": "aBcDeFgHiJkLmNoPqRsTuV", "index": ES_INDEX,
            }],
            "type": "resource_already_exists_exception",
            "reason": f"index [{ES_INDEX}/aBcDeFgHiJkLmNoPqRsTuV] already exists",
            "index_uuid": "aBcDeFgHiJkLmNoPqRsTuV", "index": ES_INDEX,
        },
        "status": 400,
    }
    [create] = load("pagination")[:1]
    node = FakeElasticsearch([{**create, "response": {"status": 400, "body": error}}])
    client = AsyncElasticsearch(await node.start())
    try:
        await ElasticsearchSearchIndex(client, ES_INDEX).create_index()
    finally:
        await client.close()
        await node.stop()
    assert node.mismatches == []


# -- any text is only text ----------------------------------------------------------------------


@pytest.mark.parametrize("search_index", SQL_AND_MEMORY, indirect=True)
async def test_text_with_query_syntax_is_only_text(search_index: Any) -> None:
    await search_index.index(CATALOG)
    for text in HOSTILE_TEXTS:
        for sort in ("relevance", "name"):
            result = await search_index.query(
                SearchQuery(text=text, category=text[:100], sort=sort)
            )
            assert result.total >= len(result.ids), text
    sleeve = await search_index.query(SearchQuery(text='"laptop" (sleeve*)'))
    assert sleeve.ids == ("p2",)  # the words laptop and sleeve
    either = await search_index.query(SearchQuery(text="laptop OR sleeve"))
    assert either.ids == ()  # "or" is a word like the others, and no product has it


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_elasticsearch_receives_only_plain_words(text: str) -> None:
    body = search_body(SearchQuery(text=text, category=text))
    clauses = body["query"]["bool"]["must"]
    for clause in clauses:
        word = clause["bool"]["should"][0]["multi_match"]["query"]
        assert word.isalnum(), word
    assert len(clauses) <= 16


@pytest.mark.parametrize("search_index", ["memory", "sqlite"], indirect=True)
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), category=st.none() | st.text(max_size=40))
async def test_arbitrary_text_never_raises(search_index: Any, text: str,
                                           category: str | None) -> None:
    result = await search_index.query(SearchQuery(text=text, category=category))
    assert result.total >= len(result.ids)


async def test_elasticsearch_lists_its_documents_page_by_page() -> None:
    doc = next(d for d in CATALOG if d.product_id == "p4")
    source = source_of(doc)

    def page(hits: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "took": 1, "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": None,
                     "hits": hits},
        }

    request = {"size": 1000, "sort": [{"product_id": "asc"}], "query": {"match_all": {}}}
    node = FakeElasticsearch([
        {"request": {"method": "POST", "path": f"/{ES_INDEX}/_search", "body": request},
         "response": {"status": 200, "body": page([{
             "_index": ES_INDEX, "_id": "p4", "_score": None, "_source": source,
             "sort": ["p4"]}])}},
        {"request": {"method": "POST", "path": f"/{ES_INDEX}/_search",
                     "body": {**request, "search_after": ["p4"]}},
         "response": {"status": 200, "body": page([])}},
    ])
    client = AsyncElasticsearch(await node.start())
    try:
        documents = await ElasticsearchSearchIndex(client, ES_INDEX).documents()
    finally:
        await client.close()
        await node.stop()
    assert node.mismatches == []
    assert documents == {"p4": doc}
