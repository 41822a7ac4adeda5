from __future__ import annotations

import copy

from commerce_core.catalog.commands import (
    CreateProduct,
    DeactivateProduct,
    GetProduct,
    ListProducts,
    UpdateProduct,
)
from commerce_core.catalog.model import Product
from commerce_core.catalog.ports import SORTS, ProductPage
from commerce_core.catalog.search import SearchIndex, SearchQuery, SearchResult
from commerce_core.catalog.search_handlers import (
    PRODUCT_TTL_S,
    SEARCH_TTL_S,
    product_key,
    search_key,
)
from commerce_core.inventory.events import StockUpdated
from commerce_core.shared.cache import Cache
from commerce_core.shared.errors import DuplicateSku, InvalidInput, UnknownProduct
from commerce_core.shared.money import Money
from commerce_core.shared.ports import Clock, IdGenerator
from commerce_core.shared.unit_of_work import UnitOfWork

MAX_PAGE_SIZE = 100


async def create_product(
    command: CreateProduct, uow: UnitOfWork, clock: Clock, ids: IdGenerator
) -> Product:
    price = Money.of(command.price, command.currency)
    async with uow:
        if await uow.products.get_by_sku(command.sku) is not None:
            raise DuplicateSku(f"sku {command.sku!r} exists", field="sku")
        product = Product.create(
            product_id=ids.new_id(),
            sku=command.sku,
            name=command.name,
            description=command.description,
            category=command.category,
            price=price,
            initial_stock=command.stock,
            low_stock_threshold=command.low_stock_threshold,
            now=clock.now(),
        )
        uow.products.add(product)
        await uow.commit()  # a racing create of the same sku fails here with DuplicateSku
    return product


async def update_product(command: UpdateProduct, uow: UnitOfWork, clock: Clock) -> Product:
    async with uow:
        product = await uow.products.get(command.product_id)
        if product is None:
            raise UnknownProduct()
        price = None
        if command.price is not None or command.currency is not None:
            price = Money.of(
                command.price if command.price is not None else product.price.amount,
                command.currency or product.price.currency,
            )
        product.update(
            now=clock.now(),
            name=command.name,
            description=command.description,
            category=command.category,
            price=price,
            active=command.active,
        )
        await uow.commit()
    return product


async def deactivate_product(command: DeactivateProduct, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        product = await uow.products.get(command.product_id)
        if product is None:
            raise UnknownProduct()
        product.deactivate(clock.now())
        await uow.commit()


async def get_product(query: GetProduct, uow: UnitOfWork, cache: Cache) -> Product:
    product: Product | None = await cache.get(product_key(query.product_id))
    if product is None:
        async with uow:
            product = await uow.products.get(query.product_id)
        if product is not None:
            await cache.set(product_key(query.product_id), product, ttl_s=PRODUCT_TTL_S)
    if product is None or not (product.active or query.include_inactive):
        raise UnknownProduct()
    return copy.copy(product)  # the caller's copy: the cached one stays as stored


async def list_products(
    query: ListProducts, uow: UnitOfWork, search: SearchIndex, cache: Cache
) -> ProductPage:
    if query.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}", field="sort")
    if query.page < 1:
        raise InvalidInput("page starts at 1", field="page")
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be 1 to {MAX_PAGE_SIZE}", field="page_size")
    search_query = SearchQuery(
        text=query.text,
        category=query.category,
        min_price=query.min_price,
        max_price=query.max_price,
        in_stock=query.in_stock,
        sort=query.sort,
        offset=(query.page - 1) * query.page_size,
        limit=query.page_size,
    )
    key = search_key(search_query)
    result: SearchResult | None = await cache.get(key)
    if result is None:
        result = await search.query(search_query)
        await cache.set(key, result, ttl_s=SEARCH_TTL_S)
    async with uow:
        found = await uow.products.get_many(result.ids)
    # The index may lag the catalog by an event: never show what the catalog no longer lists.
    items = tuple(found[i] for i in result.ids if i in found and found[i].active)
    return ProductPage(items, result.total, result.facets)


async def mirror_stock_level(event: StockUpdated, uow: UnitOfWork) -> None:
    async with uow:
        product = await uow.products.get(event.product_id)
        if product is None or not product.apply_stock(event.available, event.stock_version):
            return  # unknown product or an older figure: nothing to change
        await uow.commit()


COMMAND_HANDLERS = {
    CreateProduct: create_product,
    UpdateProduct: update_product,
    DeactivateProduct: deactivate_product,
    GetProduct: get_product,
    ListProducts: list_products,
}
EVENT_HANDLERS = {StockUpdated: [mirror_stock_level]}
