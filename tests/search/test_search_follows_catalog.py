"""The search index and the cached reads follow the catalog through its events, in memory and on
the embedded SQLite profile (FTS5 created by the search migration)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.search.memory import MemorySearchIndex
from adapters.search.sqlite_fts import SqliteFtsSearchIndex
from adapters.security.passwords import Argon2PasswordHasher
from commerce_core.catalog.commands import (
    CreateProduct,
    DeactivateProduct,
    GetProduct,
    ListProducts,
    UpdateProduct,
)
from commerce_core.catalog.events import ProductUpdated
from commerce_core.inventory.commands import AdjustStock
from entrypoints.container import build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings


@pytest.fixture(params=["memory", "sqlite"])
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shop]:
    url = "memory://" if request.param == "memory" else f"sqlite+aiosqlite:///{tmp_path}/s.db"
    container = build_container(Settings(database_url=url))
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    async with open_shop(container=container) as shop:
        yield shop


async def _create(shop: Shop, sku: str, name: str, stock: int = 5) -> str:
    product = await shop.handle(CreateProduct(
        sku=sku, name=name, description="", category="Tools", price=Decimal("10.00"),
        currency="EUR", stock=stock,
    ))
    return str(product.id)


async def _names(shop: Shop, **query: object) -> list[str]:
    page = await shop.handle(ListProducts(**query))  # type: ignore[arg-type]
    return [p.name for p in page.items]


async def test_the_sql_profile_searches_with_fts5(shop: Shop, request: pytest.FixtureRequest):
    expected = SqliteFtsSearchIndex if "sqlite" in request.node.name else MemorySearchIndex
    assert isinstance(shop.container.search(), expected)


async def test_a_new_product_is_searchable_when_the_command_returns(shop: Shop) -> None:
    await _create(shop, "H-1", "Claw Hammer")

    assert await _names(shop, text="hamm") == ["Claw Hammer"]


async def test_an_update_replaces_what_the_index_holds(shop: Shop) -> None:
    product_id = await _create(shop, "H-1", "Claw Hammer")
    assert await _names(shop, text="claw") == ["Claw Hammer"]  # now cached

    await shop.handle(UpdateProduct(product_id=product_id, name="Sledge Hammer"))

    assert await _names(shop, text="claw") == []
    assert await _names(shop, text="sledge") == ["Sledge Hammer"]
    assert (await shop.handle(GetProduct(product_id))).name == "Sledge Hammer"


async def test_a_deactivated_product_leaves_the_index(shop: Shop) -> None:
    product_id = await _create(shop, "H-1", "Claw Hammer")
    await _names(shop, text="hammer")

    await shop.handle(DeactivateProduct(product_id))

    assert await _names(shop, text="hammer") == []
    assert product_id not in await shop.container.search().documents()


async def test_stock_changes_move_a_product_in_and_out_of_in_stock(shop: Shop) -> None:
    product_id = await _create(shop, "H-1", "Claw Hammer", stock=2)
    assert await _names(shop, in_stock=True) == ["Claw Hammer"]

    await shop.handle(AdjustStock(product_id=product_id, delta=-2, reason="damage"))
    assert await _names(shop, in_stock=True) == []
    assert await _names(shop, in_stock=False) == ["Claw Hammer"]

    await shop.handle(AdjustStock(product_id=product_id, delta=3, reason="supplier"))
    assert await _names(shop, in_stock=True) == ["Claw Hammer"]
    assert (await shop.handle(GetProduct(product_id))).stock_available == 3


async def test_the_page_carries_category_counts(shop: Shop) -> None:
    await _create(shop, "H-1", "Claw Hammer")
    await _create(shop, "H-2", "Sledge Hammer")

    page = await shop.handle(ListProducts(text="hammer", category="garden"))

    assert (page.items, page.total, dict(page.facets)) == ((), 0, {"Tools": 2})


async def test_a_late_or_repeated_event_leaves_the_current_state(shop: Shop) -> None:
    product_id = await _create(shop, "H-1", "Claw Hammer")
    seen: list[object] = []
    unsubscribe = shop.bus.observe(seen.append)
    await shop.handle(UpdateProduct(product_id=product_id, name="Sledge Hammer"))
    unsubscribe()
    [older] = [e for e in seen if isinstance(e, ProductUpdated)]
    await shop.handle(UpdateProduct(product_id=product_id, name="Mallet"))

    await shop.bus.deliver(older)  # redelivered after the newer change

    assert await _names(shop, text="mallet") == ["Mallet"]
    assert await _names(shop, text="sledge") == []
