"""Health, readiness, the OpenAPI document and the docs page."""

from __future__ import annotations

import re

from api.support import Api
from entrypoints.http.app import OPERATIONS


async def test_health_and_ready(api: Api) -> None:
    health = await api.http.get("/health")
    assert health.json() == {"status": "ok"}
    assert health.headers["server-timing"].startswith("app;dur=")
    ready = await api.http.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}, "replicas": []}


async def test_openapi_describes_every_route(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    described = {(method.upper(), path) for path, item in document["paths"].items()
                 for method in item}
    assert described == {(op.method, op.path) for op in OPERATIONS}
    contract = {
        ("POST", "/auth/register"), ("POST", "/auth/login"), ("POST", "/auth/refresh"),
        ("POST", "/auth/logout"), ("GET", "/auth/me"), ("GET", "/products"),
        ("GET", "/products/{product_id}"), ("POST", "/products"),
        ("PATCH", "/products/{product_id}"), ("DELETE", "/products/{product_id}"),
        ("GET", "/cart"), ("POST", "/cart/items"), ("PUT", "/cart/items/{product_id}"),
        ("DELETE", "/cart/items/{product_id}"), ("DELETE", "/cart"),
        ("POST", "/orders/checkout"), ("GET", "/orders"), ("GET", "/orders/{order_id}"),
        ("POST", "/orders/{order_id}/cancel"), ("POST", "/admin/orders/{order_id}/ship"),
        ("POST", "/admin/orders/{order_id}/deliver"), ("GET", "/admin/inventory/{product_id}"),
        ("POST", "/admin/inventory/{product_id}/adjustments"),
        ("GET", "/admin/inventory/{product_id}/movements"), ("GET", "/health"),
        ("GET", "/ready"), ("GET", "/openapi.json"), ("GET", "/docs"),
    }
    assert contract <= described


async def test_the_schema_carries_the_validation_constraints(api: Api) -> None:
    schemas = (await api.http.get("/openapi.json")).json()["components"]["schemas"]
    quantity = schemas["CartItemRequest"]["properties"]["quantity"]
    assert (quantity["type"], quantity["minimum"], quantity["maximum"]) == ("integer", 1, 1000)
    assert schemas["CartItemRequest"]["additionalProperties"] is False
    assert schemas["RegisterRequest"]["properties"]["password"]["minLength"] == 8


async def test_the_docs_page_needs_no_cdn(api: Api) -> None:
    response = await api.http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text)
