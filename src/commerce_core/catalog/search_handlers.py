"""Keeps the search index and the catalog's cached reads in step with the catalog.

On ProductCreated and ProductUpdated the handler reads the product as committed rather than
trusting the event's copy, so events that arrive late or twice still leave the index holding the
current state; inactive products leave the index. StockUpdated, which every checkout raises, is
one guarded update of ``in_stock`` by stock version: an older figure never wins. A cached read
may outlive its change by a race between a reader and the invalidation, at most for its TTL.
"""

from __future__ import annotations

import hashlib

from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.catalog.search import SearchDocument, SearchIndex, SearchQuery
from commerce_core.inventory.events import StockUpdated
from commerce_core.shared.cache import Cache
from commerce_core.shared.unit_of_work import UnitOfWork

PRODUCT_TTL_S = 60.0
SEARCH_TTL_S = 15.0
SEARCH_PREFIX = "search:"


def product_key(product_id: str) -> str:
    return f"product:{product_id}"


def search_key(query: SearchQuery) -> str:
    """Queries that differ only in case, accents or punctuation share an entry."""
    parts = (
        query.words, query.category_key, query.min_price, query.max_price, query.in_stock,
        query.sort, query.offset, query.limit,
    )
    digest = hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return SEARCH_PREFIX + digest


async def _refresh(product_id: str, uow: UnitOfWork, search: SearchIndex, cache: Cache) -> None:
    async with uow:
        product = await uow.products.get(product_id)
    if product is None or not product.active:
        await search.remove(product_id)
    else:
        await search.index([SearchDocument.from_product(product)])
    await cache.delete(product_key(product_id))
    await cache.delete_prefix(SEARCH_PREFIX)


async def index_created_product(
    event: ProductCreated, uow: UnitOfWork, search: SearchIndex, cache: Cache
) -> None:
    await _refresh(event.product_id, uow, search, cache)


async def reindex_updated_product(
    event: ProductUpdated, uow: UnitOfWork, search: SearchIndex, cache: Cache
) -> None:
    await _refresh(event.product_id, uow, search, cache)


async def reindex_stock_level(event: StockUpdated, search: SearchIndex, cache: Cache) -> None:
    """Every checkout moves stock: one guarded update, and cached searches dropped only when
    the product went in or out of stock (a page's products are read fresh anyway)."""
    changed = await search.set_in_stock(
        event.product_id, event.available > 0, event.stock_version
    )
    await cache.delete(product_key(event.product_id))
    if changed:
        await cache.delete_prefix(SEARCH_PREFIX)


COMMAND_HANDLERS: dict[type, object] = {}
EVENT_HANDLERS = {
    ProductCreated: [index_created_product],
    ProductUpdated: [reindex_updated_product],
    StockUpdated: [reindex_stock_level],
}
