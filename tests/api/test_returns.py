"""Returns: a customer asks to return items of a delivered order; an admin receives them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from api.support import Api, assert_problem
from commerce_core.shared.money import Money


async def _delivered_order(api: Api, *, quantity: int = 3) -> tuple[dict, dict, dict, dict]:
    admin = await api.admin()
    product = await api.product(admin, stock=10, price="19.99")
    customer = await api.customer()
    await api.in_cart(customer, product["id"], quantity)
    order = (await api.checkout(customer)).json()
    assert order["status"] == "CONFIRMED", order
    for step in ("ship", "deliver"):
        response = await api.http.post(f"/admin/orders/{order['id']}/{step}",
                                       headers=admin["headers"])
        assert response.status_code == 200, response.text
    return admin, customer, product, order


async def _ask(api: Api, customer: dict[str, Any], order_id: str, items: list[dict]) -> Any:
    return await api.http.post(f"/orders/{order_id}/returns", json={"items": items},
                               headers=customer["headers"])


async def test_a_received_return_restocks_and_refunds_the_items(api: Api) -> None:
    admin, customer, product, order = await _delivered_order(api, quantity=3)
    asked = await _ask(api, customer, order["id"], [{"product_id": product["id"], "quantity": 2}])
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["refund_amount"], request["refunded"]) == (
        "REQUESTED", "39.98", False)
    assert (await api.stock(admin, product["id"]))["on_hand"] == 7
    received = await api.http.post(f"/admin/returns/{request['id']}/receive",
                                   headers=admin["headers"])
    assert received.status_code == 200, received.text
    assert (received.json()["status"], received.json()["refunded"]) == ("RECEIVED", True)
    assert (await api.stock(admin, product["id"]))["on_hand"] == 9
    moves = (await api.http.get(f"/admin/inventory/{product['id']}/movements",
                                headers=admin["headers"])).json()["items"]
    assert (moves[-1]["delta_on_hand"], moves[-1]["reason"], moves[-1]["reference"]) == (
        2, "return", request["id"])
    gateway = api.app.state.container.gateway()
    assert gateway.partial_refunds[order["id"]] == {
        f"return-{request['id']}": Money(Decimal("39.98"), "USD")}
    again = await api.http.post(f"/admin/returns/{request['id']}/receive",
                                headers=admin["headers"])
    assert_problem(again, 409)
    assert (await api.stock(admin, product["id"]))["on_hand"] == 9
    assert len(gateway.partial_refunds[order["id"]]) == 1


async def test_returns_cannot_exceed_what_was_ordered(api: Api) -> None:
    _, customer, product, order = await _delivered_order(api, quantity=3)
    item = {"product_id": product["id"], "quantity": 2}
    assert (await _ask(api, customer, order["id"], [item])).status_code == 201
    assert_problem(await _ask(api, customer, order["id"], [item]), 409)  # 2 + 2 > 3
    last = await _ask(api, customer, order["id"], [{**item, "quantity": 1}])
    assert last.status_code == 201
    assert_problem(await _ask(api, customer, order["id"],
                              [{"product_id": "not-ordered", "quantity": 1}]), 409)


async def test_only_a_delivered_order_can_be_returned(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=5)
    customer = await api.customer()
    await api.in_cart(customer, product["id"])
    order = (await api.checkout(customer)).json()
    problem = assert_problem(await _ask(api, customer, order["id"],
                                        [{"product_id": product["id"], "quantity": 1}]), 409)
    assert "delivered" in problem["detail"]


async def test_another_customers_order_is_404(api: Api) -> None:
    _, _, product, order = await _delivered_order(api)
    stranger = await api.customer()
    assert_problem(await _ask(api, stranger, order["id"],
                              [{"product_id": product["id"], "quantity": 1}]), 404)
    assert_problem(await _ask(api, stranger, "nope",
                              [{"product_id": product["id"], "quantity": 1}]), 404)


async def test_receiving_is_for_admins_and_known_returns(api: Api) -> None:
    admin, customer, product, order = await _delivered_order(api)
    request = (await _ask(api, customer, order["id"],
                          [{"product_id": product["id"], "quantity": 1}])).json()
    assert_problem(await api.http.post(f"/admin/returns/{request['id']}/receive",
                                       headers=customer["headers"]), 403)
    assert_problem(await api.http.post("/admin/returns/nope/receive",
                                       headers=admin["headers"]), 404)


@pytest.mark.parametrize(
    ("items", "field"),
    [([], "items"), ([{"product_id": "p", "quantity": 0}], "items.0.quantity"),
     ([{"product_id": "p", "quantity": 1001}], "items.0.quantity"),
     ([{"product_id": "", "quantity": 1}], "items.0.product_id")],
)
async def test_invalid_returns_are_422(api: Api, items: list, field: str) -> None:
    _, customer, _, order = await _delivered_order(api)
    problem = assert_problem(await _ask(api, customer, order["id"], items), 422)
    assert problem["errors"][0]["field"] == field
