"""Which search adapter serves the port: the setting decides, as CONTRACT.md says."""

from __future__ import annotations

import sys
from pathlib import Path

from adapters.elasticsearch.search import MAPPINGS, SETTINGS, ElasticsearchSearchIndex
from adapters.search.memory import MemorySearchIndex
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings

sys.path.insert(0, str(Path(__file__).parent.parent / "contract"))
from fake_elasticsearch import FakeElasticsearch


async def test_memory_mode_searches_in_memory() -> None:
    async with open_shop(container=build_container(Settings())) as shop:
        assert isinstance(shop.container.search(), MemorySearchIndex)


async def test_an_elasticsearch_url_swaps_in_elasticsearch_and_creates_the_index() -> None:
    node = FakeElasticsearch([{
        "request": {"method": "PUT", "path": "/products",
                    "body": {"settings": SETTINGS, "mappings": MAPPINGS}},
        "response": {"status": 200, "body": {
            "acknowledged": True, "shards_acknowledged": True, "index": "products"}},
    }])
    url = await node.start()
    try:
        container = build_container(Settings(elasticsearch_url=url))
        async with open_shop(container=container) as shop:
            search = shop.container.search()
            assert isinstance(search, ElasticsearchSearchIndex)
            await search._ready()
            await search.close()
    finally:
        await node.stop()
    assert node.mismatches == []
    assert not node.expected
