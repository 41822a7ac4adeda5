"""Products over HTTP: search for anyone, changes for admins."""

from __future__ import annotations

import pytest

from api.support import Api, assert_problem


async def test_search_lists_matching_active_products(api: Api) -> None:
    admin = await api.admin()
    await api.product(admin, name="Blue mug", category="kitchen", price="8.50")
    await api.product(admin, name="Red mug", category="kitchen", price="9.50", stock=0)
    await api.product(admin, name="Hammer", category="tools", price="25.00")
    response = await api.http.get("/products", params={"q": "mug", "sort": "price"})
    assert response.status_code == 200
    page = response.json()
    assert [p["name"] for p in page["items"]] == ["Blue mug", "Red mug"]
    assert page["total"] == 2
    assert page["page"] == 1
    assert page["page_size"] == 20
    assert page["items"][0]["price"] == "8.50"
    assert page["items"][0]["currency"] == "USD"


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"category": "kitchen"}, {"Blue mug", "Red mug"}),
        ({"min_price": "9", "max_price": "20"}, {"Red mug"}),
        ({"in_stock": "true"}, {"Blue mug", "Hammer"}),
        ({"sort": "-price", "page_size": "1"}, {"Hammer"}),
        ({"sort": "name", "page": "2", "page_size": "1"}, {"Hammer"}),
    ],
)
async def test_filters_sorts_and_pages(api: Api, params: dict, names: set) -> None:
    admin = await api.admin()
    await api.product(admin, name="Blue mug", category="kitchen", price="8.50")
    await api.product(admin, name="Red mug", category="kitchen", price="9.50", stock=0)
    await api.product(admin, name="Hammer", category="tools", price="25.00")
    response = await api.http.get("/products", params=params)
    assert {p["name"] for p in response.json()["items"]} == names


@pytest.mark.parametrize(
    "params",
    [{"page": "0"}, {"page_size": "101"}, {"sort": "cheapest"}, {"min_price": "abc"},
     {"in_stock": "yes"}, {"page": "1.5"}],
)
async def test_bad_query_parameters_are_422(api: Api, params: dict) -> None:
    problem = assert_problem(await api.http.get("/products", params=params), 422)
    assert problem["errors"][0]["field"] == next(iter(params))


async def test_get_one_product(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin)
    response = await api.http.get(f"/products/{product['id']}")
    assert response.status_code == 200
    assert response.json() == product
    assert set(product) == {"id", "sku", "name", "description", "category", "price",
                            "currency", "stock_available", "active", "created_at"}


async def test_an_unknown_product_is_404(api: Api) -> None:
    assert_problem(await api.http.get("/products/nope"), 404)


async def test_admin_creates_a_product(api: Api) -> None:
    admin = await api.admin()
    response = await api.http.post("/products", headers=admin["headers"], json={
        "sku": "TEA-1", "name": "Green tea", "description": "", "category": "food",
        "price": "4.20", "currency": "EUR", "stock": 3,
    })
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/products/{body['id']}"
    assert (body["price"], body["currency"], body["stock_available"]) == ("4.20", "EUR", 3)


async def test_a_duplicate_sku_is_409(api: Api) -> None:
    admin = await api.admin()
    await api.product(admin, sku="DUP-1")
    response = await api.http.post("/products", headers=admin["headers"], json={
        "sku": "DUP-1", "name": "Again", "description": "", "category": "x", "price": "1",
        "currency": "USD",
    })
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"price": 4.2}, "price"), ({"price": "-1"}, "price"), ({"price": "1.234"}, "price"),
     ({"currency": "usd"}, "currency"), ({"sku": "bad sku"}, "sku"), ({"stock": -1}, "stock"),
     ({"name": ""}, "name"), ({"colour": "red"}, "colour")],
)
async def test_invalid_products_are_422(api: Api, change: dict, field: str) -> None:
    admin = await api.admin()
    body = {"sku": "OK-1", "name": "Thing", "description": "", "category": "x",
            "price": "1.00", "currency": "USD", **change}
    problem = assert_problem(await api.http.post("/products", headers=admin["headers"],
                                                 json=body), 422)
    assert field in [e["field"] for e in problem["errors"]]


async def test_admin_changes_a_product(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin)
    response = await api.http.patch(f"/products/{product['id']}", headers=admin["headers"],
                                    json={"name": "Better widget", "price": "21.00"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["price"]) == ("Better widget", "21.00")
    missing = await api.http.patch("/products/nope", headers=admin["headers"], json={})
    assert_problem(missing, 404)
    bad = await api.http.patch(f"/products/{product['id']}", headers=admin["headers"],
                               json={"active": "no"})
    assert_problem(bad, 422)


async def test_a_deactivated_product_is_neither_listed_nor_sold(api: Api) -> None:
    admin = await api.admin()
    customer = await api.customer()
    product = await api.product(admin, name="Gone soon")
    response = await api.http.delete(f"/products/{product['id']}", headers=admin["headers"])
    assert response.status_code == 204
    assert_problem(await api.http.get(f"/products/{product['id']}"), 404)
    listed = (await api.http.get("/products", params={"q": "gone"})).json()
    assert listed["items"] == []
    add = await api.http.post("/cart/items", headers=customer["headers"],
                              json={"product_id": product["id"], "quantity": 1})
    assert_problem(add, 404)
    assert_problem(await api.http.delete("/products/nope", headers=admin["headers"]), 404)
