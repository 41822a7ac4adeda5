"""Helpers for the API tests: a client that knows the first steps of most tests."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from starlette.applications import Starlette

from commerce_core.identity.commands import CreateAdmin

PASSWORD = "correct horse battery"
_ids = itertools.count(1)


class Api:
    """An httpx client plus the few steps most tests begin with."""

    def __init__(self, client: httpx.AsyncClient, app: Starlette) -> None:
        self.http = client
        self.app = app

    async def customer(self, email: str | None = None) -> dict[str, Any]:
        email = email or f"customer{next(_ids)}@example.com"
        response = await self.http.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ana"}
        )
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()
        session["headers"] = {"Authorization": f"Bearer {session['access_token']}"}
        return session

    async def admin(self) -> dict[str, Any]:
        email = f"admin{next(_ids)}@example.com"
        await self.app.state.bus.handle(CreateAdmin(email, PASSWORD, "Root"))
        response = await self.http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        session: dict[str, Any] = response.json()
        session["headers"] = {"Authorization": f"Bearer {session['access_token']}"}
        return session

    async def product(self, admin: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "sku": f"SKU-{next(_ids)}", "name": "Widget", "description": "A useful thing",
            "category": "tools", "price": "19.99", "currency": "USD", "stock": 10, **fields,
        }
        response = await self.http.post("/products", json=body, headers=admin["headers"])
        assert response.status_code == 201, response.text
        product: dict[str, Any] = response.json()
        return product

    async def in_cart(self, customer: dict[str, Any], product_id: str, quantity: int = 1) -> None:
        response = await self.http.post(
            "/cart/items", json={"product_id": product_id, "quantity": quantity},
            headers=customer["headers"],
        )
        assert response.status_code == 200, response.text

    async def checkout(
        self, customer: dict[str, Any], token: str = "tok_visa", key: str | None = None
    ) -> httpx.Response:
        headers = dict(customer["headers"])
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.http.post(
            "/orders/checkout", json={"payment_method": {"type": "card", "token": token}},
            headers=headers,
        )

    async def stock(self, admin: dict[str, Any], product_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/admin/inventory/{product_id}", headers=admin["headers"])
        assert response.status_code == 200, response.text
        stock: dict[str, Any] = response.json()
        return stock


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == status
    return problem
