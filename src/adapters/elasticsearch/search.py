"""Elasticsearch search, for a catalog that outgrew the database's full-text search.

Text fields are indexed through edge n-grams of folded words (lowercase + asciifolding), so a
prefix finds its word, and searched with the folding analyzer; a second clause on the whole
words with ``fuzziness: AUTO`` forgives a typo at a lower weight. Every query word is its own
clause, so every word must match. Category counts come from a terms aggregation, and the
category filter is a post_filter so the counts show the other categories too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from elasticsearch import AsyncElasticsearch, BadRequestError, NotFoundError

from commerce_core.catalog.search import SearchDocument, SearchQuery, SearchResult, clean, fold

DEFAULT_INDEX = "products"
NAME_BOOST, EXTRA_BOOST, DESCRIPTION_BOOST = 10, 2, 1
TYPO_WEIGHT = 0.3
MAX_FACETS = 100

SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {
        "filter": {
            "prefixes": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20},
        },
        "analyzer": {
            "folded": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding"],
            },
            "folded_prefixes": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding", "prefixes"],
            },
        },
        "normalizer": {
            "folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
        },
    },
}

_TEXT = {
    "type": "text",
    "analyzer": "folded_prefixes",
    "search_analyzer": "folded",
    "fields": {"words": {"type": "text", "analyzer": "folded"}},
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "product_id": {"type": "keyword"},
        "sku": {"type": "keyword"},
        "name": _TEXT,
        "description": _TEXT,
        "extra": _TEXT,
        "category": {"type": "keyword"},
        "category_key": {"type": "keyword", "normalizer": "folded"},
        "name_key": {"type": "keyword"},
        "price": {"type": "scaled_float", "scaling_factor": 10000},
        "currency": {"type": "keyword"},
        "in_stock": {"type": "boolean"},
        "stock_version": {"type": "long"},
        "created_at": {"type": "date"},
    },
}

# Applies a stock figure only when newer than the one held; else the update is a no-op.
_SET_IN_STOCK = (
    "if (ctx._source.stock_version < params.stock_version) {"
    " ctx._source.in_stock = params.in_stock;"
    " ctx._source.stock_version = params.stock_version;"
    " } else { ctx.op = 'noop'; }"
)

_SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"created_at": "desc"}, {"product_id": "asc"}],
    "price": [{"price": "asc"}, {"name_key": "asc"}, {"product_id": "asc"}],
    "-price": [{"price": "desc"}, {"name_key": "asc"}, {"product_id": "asc"}],
    "name": [{"name_key": "asc"}, {"product_id": "asc"}],
    "newest": [{"created_at": "desc"}, {"product_id": "asc"}],
}


def source_of(document: SearchDocument) -> dict[str, Any]:
    return {
        "product_id": document.product_id,
        "sku": clean(document.sku),
        "name": clean(document.name),
        "description": clean(document.description),
        "extra": clean(f"{document.sku} {document.category}"),
        "category": clean(document.category),
        "category_key": fold(clean(document.category)).strip(),
        "name_key": fold(clean(document.name)),
        "price": str(document.price),
        "currency": document.currency,
        "in_stock": document.in_stock,
        "stock_version": document.stock_version,
        "created_at": document.created_at.isoformat(),
    }


def _word_clause(word: str) -> dict[str, Any]:
    fields = [f"name^{NAME_BOOST}", f"extra^{EXTRA_BOOST}", f"description^{DESCRIPTION_BOOST}"]
    return {
        "bool": {
            "should": [
                {"multi_match": {"query": word, "fields": fields}},
                {
                    "multi_match": {
                        "query": word,
                        "fields": [f.replace("^", ".words^") for f in fields],
                        "fuzziness": "AUTO",
                        "prefix_length": 1,
                        "boost": TYPO_WEIGHT,
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def search_body(query: SearchQuery) -> dict[str, Any]:
    words = query.words
    filters: list[dict[str, Any]] = []
    if query.min_price is not None or query.max_price is not None:
        bounds = {}
        if query.min_price is not None:
            bounds["gte"] = str(query.min_price)
        if query.max_price is not None:
            bounds["lte"] = str(query.max_price)
        filters.append({"range": {"price": bounds}})
    if query.in_stock is not None:
        filters.append({"term": {"in_stock": query.in_stock}})
    body: dict[str, Any] = {
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "_source": False,
        "query": {"bool": {"must": [_word_clause(w) for w in words], "filter": filters}},
        "aggs": {"categories": {"terms": {"field": "category", "size": MAX_FACETS}}},
        "sort": _SORTS[query.sort if words or query.sort != "relevance" else "newest"],
    }
    category = query.category_key
    if category is not None:
        body["post_filter"] = {"term": {"category_key": category}}
    return body


class ElasticsearchSearchIndex:
    def __init__(
        self,
        client: AsyncElasticsearch,
        index: str = DEFAULT_INDEX,
        *,
        create_on_first_use: bool = False,
    ) -> None:
        self._client = client
        self._index = index
        self._needs_index = create_on_first_use

    async def _ready(self) -> None:
        if self._needs_index:
            await self.create_index()
            self._needs_index = False

    async def close(self) -> None:
        await self._client.close()

    async def create_index(self) -> None:
        """Creates the index with its mapping; an index already there is kept as it is."""
        try:
            await self._client.indices.create(
                index=self._index, settings=SETTINGS, mappings=MAPPINGS
            )
        except BadRequestError as error:
            if error.error != "resource_already_exists_exception":
                raise

    async def index(self, documents: Iterable[SearchDocument], *, refresh: bool = True) -> None:
        """Replaces whole documents: unlike the SQL adapters, it does not keep a newer
        ``in_stock`` already held (a scripted upsert per document would; not worth a bulk's
        speed while stock figures arrive through ``set_in_stock``)."""
        operations: list[dict[str, Any]] = []
        for document in documents:
            operations.append({"index": {"_index": self._index, "_id": document.product_id}})
            operations.append(source_of(document))
        if not operations:
            return
        await self._ready()
        response = await self._client.bulk(
            operations=operations, refresh="wait_for" if refresh else False
        )
        if response["errors"]:
            failed = [
                item["index"] for item in response["items"] if "error" in item["index"]
            ]
            raise RuntimeError(f"elasticsearch refused {len(failed)} documents: {failed[:3]}")

    async def set_in_stock(self, product_id: str, in_stock: bool, stock_version: int) -> bool:
        """True when the document took the figure (possibly with the same ``in_stock``: the
        script cannot tell, so a caller may drop a cached search it did not need to)."""
        await self._ready()
        try:
            response = await self._client.update(
                index=self._index,
                id=product_id,
                script={
                    "source": _SET_IN_STOCK,
                    "lang": "painless",
                    "params": {"in_stock": in_stock, "stock_version": stock_version},
                },
                refresh="wait_for",
            )
        except NotFoundError:
            return False
        return bool(response["result"] == "updated")

    async def remove(self, product_id: str) -> None:
        await self._ready()
        with contextlib.suppress(NotFoundError):
            await self._client.delete(index=self._index, id=product_id, refresh="wait_for")

    async def refresh(self) -> None:
        await self._client.indices.refresh(index=self._index)

    async def query(self, query: SearchQuery) -> SearchResult:
        await self._ready()
        response = await self._client.search(index=self._index, **search_body(query))
        hits = response["hits"]
        buckets = response.get("aggregations", {}).get("categories", {}).get("buckets", [])
        return SearchResult(
            ids=tuple(hit["_id"] for hit in hits["hits"]),
            total=hits["total"]["value"],
            facets={b["key"]: b["doc_count"] for b in buckets},
        )

    async def documents(self) -> dict[str, SearchDocument]:
        await self._ready()
        found: dict[str, SearchDocument] = {}
        after: list[Any] | None = None
        while True:
            response = await self._client.search(
                index=self._index, size=1000, sort=[{"product_id": "asc"}],
                query={"match_all": {}}, search_after=after,
            )
            hits = response["hits"]["hits"]
            if not hits:
                return found
            for hit in hits:
                s = hit["_source"]
                found[hit["_id"]] = SearchDocument(
                    product_id=s["product_id"], sku=s["sku"], name=s["name"],
                    description=s["description"], category=s["category"],
                    price=Decimal(s["price"]), currency=s["currency"], in_stock=s["in_stock"],
                    created_at=datetime.fromisoformat(s["created_at"]),
                    stock_version=s.get("stock_version", 0),
                )
            after = hits[-1]["sort"]



def elasticsearch_search_for(url: str, index: str = DEFAULT_INDEX) -> ElasticsearchSearchIndex:
    """For a ``providers.Singleton``: a client for ``url``; the index is created on first use.
    Synchronous on purpose, so the providers that depend on it stay synchronous."""
    return ElasticsearchSearchIndex(AsyncElasticsearch(url), index, create_on_first_use=True)
