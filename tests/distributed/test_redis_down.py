"""Redis down: the cart answers 503 with a problem body, /ready names Redis, the catalog works."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from asgi_lifespan import LifespanManager

from adapters.security.passwords import Argon2PasswordHasher
from commerce_core.catalog.commands import CreateProduct
from entrypoints.container import build_container
from entrypoints.http import create_app
from entrypoints.settings import Settings

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    container = build_container(Settings(redis_url=DEAD_REDIS))
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    app = create_app(container)
    async with LifespanManager(app) as manager:
        bus = container.bus()
        product = await bus.handle(CreateProduct(
            sku="SKU-R1", name="Widget", description="d", category="tools",
            price=Decimal("10.00"), currency="EUR", stock=5,
        ))
        token = container.tokens().issue_access("u-1", "customer").token
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
            yield http, token, product.id


async def test_the_cart_answers_503_with_a_problem(
    client: tuple[httpx.AsyncClient, str, str],
) -> None:
    http, token, product_id = client
    headers = {"Authorization": f"Bearer {token}"}
    for response in (
        await http.get("/cart", headers=headers),
        await http.post("/cart/items", headers=headers,
                        json={"product_id": product_id, "quantity": 1}),
    ):
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 503
        assert "redis" in response.json()["detail"]


async def test_ready_names_redis_and_the_catalog_still_answers(
    client: tuple[httpx.AsyncClient, str, str],
) -> None:
    http, _, product_id = client
    ready = await http.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["detail"].startswith("redis:")
    assert (await http.get(f"/products/{product_id}")).status_code == 200  # a cache miss
    assert (await http.get("/products")).json()["total"] == 1
    assert (await http.get("/health")).status_code == 200
