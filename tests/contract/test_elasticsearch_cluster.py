"""The Elasticsearch adapter against a real cluster: runs only when COMMERCE_ELASTICSEARCH_URL is
set (no cluster can run where this project is built; the recorded exchanges in
test_search_contract.py cover the adapter there)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import pytest
from elasticsearch import AsyncElasticsearch
from search_scenarios import (
    CATALOG,
    SCENARIOS,
    TYPO_SCENARIOS,
    Query,
    Reindex,
    Remove,
    SetStock,
)

from adapters.elasticsearch.search import ElasticsearchSearchIndex

URL = os.environ.get("COMMERCE_ELASTICSEARCH_URL")


@pytest.fixture
async def cluster_index() -> AsyncIterator[ElasticsearchSearchIndex]:
    if not URL:
        pytest.skip("COMMERCE_ELASTICSEARCH_URL is not set: no Elasticsearch cluster to test")
    client = AsyncElasticsearch(URL)
    name = f"products-test-{secrets.token_hex(4)}"
    try:
        index = ElasticsearchSearchIndex(client, name)
        await index.create_index()
        yield index
    finally:
        await client.options(ignore_status=404).indices.delete(index=name)
        await client.close()


@pytest.mark.integration
@pytest.mark.parametrize("scenario", sorted({**SCENARIOS, **TYPO_SCENARIOS}))
async def test_the_contract_on_a_real_cluster(
    cluster_index: ElasticsearchSearchIndex, scenario: str
) -> None:
    await cluster_index.index(CATALOG)
    for step in {**SCENARIOS, **TYPO_SCENARIOS}[scenario]:
        if isinstance(step, Remove):
            await cluster_index.remove(step.product_id)
        elif isinstance(step, Reindex):
            await cluster_index.index([step.document])
        elif isinstance(step, SetStock):
            changed = await cluster_index.set_in_stock(
                step.product_id, step.in_stock, step.stock_version
            )
            assert changed == step.changed, step
        else:
            assert isinstance(step, Query)
            result = await cluster_index.query(step.query)
            position = 0
            for group in step.expect.groups:
                assert set(result.ids[position : position + len(group)]) == group, step
                position += len(group)
            assert len(result.ids) == position, step
            if step.expect.total is not None:
                assert result.total == step.expect.total, step
            if step.expect.facets is not None:
                assert dict(result.facets) == step.expect.facets, step
