"""The customer's cart."""

from __future__ import annotations

import pytest

from api.support import Api, assert_problem


async def test_an_empty_cart(api: Api) -> None:
    customer = await api.customer()
    response = await api.http.get("/cart", headers=customer["headers"])
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": "0", "currency": None}


async def test_adding_accumulates_on_one_line(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, price="2.50")
    await api.in_cart(customer, product["id"], 2)
    response = await api.http.post("/cart/items", headers=customer["headers"],
                                   json={"product_id": product["id"], "quantity": 3})
    assert response.status_code == 200
    assert response.json() == {
        "items": [{"product_id": product["id"], "name": "Widget", "quantity": 5,
                   "unit_price": "2.50", "subtotal": "12.50"}],
        "total": "12.50",
        "currency": "USD",
    }


async def test_more_than_available_is_409(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=2)
    response = await api.http.post("/cart/items", headers=customer["headers"],
                                   json={"product_id": product["id"], "quantity": 3})
    assert_problem(response, 409)


async def test_an_unknown_product_is_404(api: Api) -> None:
    customer = await api.customer()
    response = await api.http.post("/cart/items", headers=customer["headers"],
                                   json={"product_id": "nope", "quantity": 1})
    assert_problem(response, 404)


@pytest.mark.parametrize("quantity", [0, -1, 1001, "2", True, 1.5, None])
async def test_quantity_must_be_an_integer_from_1_to_1000(api: Api, quantity: object) -> None:
    customer = await api.customer()
    response = await api.http.post("/cart/items", headers=customer["headers"],
                                   json={"product_id": "p", "quantity": quantity})
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "quantity"


async def test_set_quantity_and_remove(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin)
    other = await api.product(admin, name="Gadget")
    await api.in_cart(customer, product["id"], 1)
    await api.in_cart(customer, other["id"], 1)
    response = await api.http.put(f"/cart/items/{product['id']}", headers=customer["headers"],
                                  json={"quantity": 4})
    assert response.status_code == 200
    assert response.json()["items"][0]["quantity"] == 4
    too_many = await api.http.put(f"/cart/items/{product['id']}", headers=customer["headers"],
                                  json={"quantity": 11})
    assert_problem(too_many, 409)
    response = await api.http.delete(f"/cart/items/{product['id']}",
                                     headers=customer["headers"])
    assert response.status_code == 200
    assert [i["product_id"] for i in response.json()["items"]] == [other["id"]]


async def test_setting_a_line_not_in_the_cart_is_404(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin)
    response = await api.http.put(f"/cart/items/{product['id']}", headers=customer["headers"],
                                  json={"quantity": 1})
    assert_problem(response, 404)


async def test_clear_the_cart(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin)
    await api.in_cart(customer, product["id"], 1)
    assert (await api.http.delete("/cart", headers=customer["headers"])).status_code == 204
    assert (await api.http.get("/cart", headers=customer["headers"])).json()["items"] == []


async def test_a_wrong_method_is_405_with_allow(api: Api) -> None:
    response = await api.http.patch("/cart")
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE"}
