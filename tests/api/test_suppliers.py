"""Suppliers over HTTP: an admin creates one, the supplier books deliveries with its API key."""

from __future__ import annotations

from typing import Any

import pytest

from api.support import Api, assert_problem


async def _supplier(api: Api, admin: dict[str, Any]) -> dict[str, Any]:
    response = await api.http.post("/admin/suppliers", json={"name": "Acme"},
                                   headers=admin["headers"])
    assert response.status_code == 201, response.text
    supplier: dict[str, Any] = response.json()
    return supplier


async def test_an_admin_creates_a_supplier_and_sees_its_key_once(api: Api) -> None:
    admin = await api.admin()
    supplier = await _supplier(api, admin)
    assert supplier["name"] == "Acme"
    assert supplier["api_key"].startswith("sk_")
    assert len(supplier["api_key"]) > 40
    other = await _supplier(api, admin)
    assert other["api_key"] != supplier["api_key"]


async def test_only_an_admin_creates_suppliers(api: Api) -> None:
    customer = await api.customer()
    assert_problem(await api.http.post("/admin/suppliers", json={"name": "Acme"},
                                       headers=customer["headers"]), 403)
    assert_problem(await api.http.post("/admin/suppliers", json={"name": "Acme"}), 401)
    admin = await api.admin()
    problem = assert_problem(await api.http.post("/admin/suppliers", json={"name": " "},
                                                 headers=admin["headers"]), 422)
    assert problem["errors"][0]["field"] == "name"


async def test_a_receipt_raises_stock_once_per_reference(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=7)
    supplier = await _supplier(api, admin)
    body = {"reference": "PO-42", "lines": [{"sku": product["sku"], "quantity": 5}]}
    headers = {"X-Api-Key": supplier["api_key"]}
    first = await api.http.post("/supplier/receipts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert (receipt["supplier_id"], receipt["reference"]) == (supplier["id"], "PO-42")
    assert receipt["lines"] == [
        {"sku": product["sku"], "product_id": product["id"], "quantity": 5}]
    replay = await api.http.post("/supplier/receipts", json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.json() == receipt
    assert (await api.stock(admin, product["id"]))["on_hand"] == 12
    moves = (await api.http.get(f"/admin/inventory/{product['id']}/movements",
                                headers=admin["headers"])).json()["items"]
    assert [(m["delta_on_hand"], m["reason"], m["reference"]) for m in moves[1:]] == [
        (5, "supplier", "PO-42")]


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "sk_wrong"}, {"X-Api-Key": ""}])
async def test_a_missing_or_wrong_api_key_is_401(api: Api, headers: dict[str, str]) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=1)
    body = {"reference": "PO-1", "lines": [{"sku": product["sku"], "quantity": 1}]}
    assert_problem(await api.http.post("/supplier/receipts", json=body, headers=headers), 401)
    assert (await api.stock(admin, product["id"]))["on_hand"] == 1


async def test_an_unknown_sku_is_422_naming_its_line_and_books_nothing(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=1)
    supplier = await _supplier(api, admin)
    body = {"reference": "PO-1", "lines": [{"sku": product["sku"], "quantity": 2},
                                           {"sku": "NO-SUCH-SKU", "quantity": 1}]}
    problem = assert_problem(await api.http.post(
        "/supplier/receipts", json=body, headers={"X-Api-Key": supplier["api_key"]}), 422)
    assert problem["errors"] == [
        {"field": "lines.1.sku", "message": "line 1: no product has sku 'NO-SUCH-SKU'"}]
    assert (await api.stock(admin, product["id"]))["on_hand"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"reference": "PO-1", "lines": []}, "lines"),
     ({"reference": "PO-1", "lines": [{"sku": "A", "quantity": 1}] * 501}, "lines"),
     ({"reference": "PO-1", "lines": [{"sku": "A", "quantity": 0}]}, "lines.0.quantity"),
     ({"reference": "PO-1", "lines": [{"sku": "A", "quantity": 1_000_001}]},
      "lines.0.quantity"),
     ({"reference": "", "lines": [{"sku": "A", "quantity": 1}]}, "reference"),
     ({"reference": "x" * 201, "lines": [{"sku": "A", "quantity": 1}]}, "reference"),
     ({"lines": [{"sku": "A", "quantity": 1}]}, "reference")],
)
async def test_invalid_receipts_are_422(api: Api, body: dict, field: str) -> None:
    admin = await api.admin()
    supplier = await _supplier(api, admin)
    problem = assert_problem(await api.http.post(
        "/supplier/receipts", json=body, headers={"X-Api-Key": supplier["api_key"]}), 422)
    assert problem["errors"][0]["field"] == field
