"""Stock levels, adjustments and movements (admin)."""

from __future__ import annotations

import pytest

from api.support import Api, assert_problem


async def test_stock_levels(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=7)
    assert await api.stock(admin, product["id"]) == {
        "product_id": product["id"], "on_hand": 7, "reserved": 0, "available": 7,
        "low_stock_threshold": 5,
    }
    assert_problem(await api.http.get("/admin/inventory/nope", headers=admin["headers"]), 404)


async def test_adjustments_change_on_hand_and_are_logged(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=7)
    url = f"/admin/inventory/{product['id']}"
    response = await api.http.post(f"{url}/adjustments", headers=admin["headers"],
                                   json={"delta": 5, "reason": "supplier", "reference": "PO-1"})
    assert response.status_code == 200
    assert response.json()["on_hand"] == 12
    moves = (await api.http.get(f"{url}/movements", headers=admin["headers"])).json()["items"]
    assert [(m["delta_on_hand"], m["reason"], m["reference"]) for m in moves] == [
        (7, "admin", "initial stock"), (5, "supplier", "PO-1")
    ]
    assert sum(m["delta_on_hand"] for m in moves) == 12
    listed = (await api.http.get(f"/products/{product['id']}")).json()
    assert listed["stock_available"] == 12


async def test_an_adjustment_below_zero_available_is_409(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=2)
    response = await api.http.post(f"/admin/inventory/{product['id']}/adjustments",
                                   headers=admin["headers"], json={"delta": -3, "reason": "damage"})
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"delta": 0, "reason": "admin"}, "delta"), ({"delta": 1, "reason": "theft"}, "reason"),
     ({"delta": "1", "reason": "admin"}, "delta"), ({"reason": "admin"}, "delta"),
     ({"delta": 1, "reason": "admin", "reference": "x" * 201}, "reference")],
)
async def test_invalid_adjustments_are_422(api: Api, body: dict, field: str) -> None:
    admin = await api.admin()
    product = await api.product(admin)
    problem = assert_problem(await api.http.post(
        f"/admin/inventory/{product['id']}/adjustments", headers=admin["headers"], json=body
    ), 422)
    assert problem["errors"][0]["field"] == field


async def test_unknown_products_have_no_stock(api: Api) -> None:
    admin = await api.admin()
    for response in (
        await api.http.post("/admin/inventory/nope/adjustments", headers=admin["headers"],
                            json={"delta": 1, "reason": "admin"}),
        await api.http.get("/admin/inventory/nope/movements", headers=admin["headers"]),
    ):
        assert_problem(response, 404)


async def test_low_stock_lists_products_at_or_under_their_threshold(api: Api) -> None:
    admin = await api.admin()
    low = await api.product(admin, stock=2, name="Low")
    await api.product(admin, stock=50, name="Plenty")
    empty = await api.product(admin, stock=0, name="Empty")
    response = await api.http.get("/admin/inventory/low-stock", headers=admin["headers"])
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items == [
        {"product_id": empty["id"], "sku": empty["sku"], "name": "Empty", "available": 0,
         "low_stock_threshold": 5},
        {"product_id": low["id"], "sku": low["sku"], "name": "Low", "available": 2,
         "low_stock_threshold": 5},
    ]


async def test_low_stock_is_for_admins(api: Api) -> None:
    customer = await api.customer()
    assert_problem(await api.http.get("/admin/inventory/low-stock",
                                      headers=customer["headers"]), 403)
    assert_problem(await api.http.get("/admin/inventory/low-stock"), 401)
