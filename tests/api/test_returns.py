"""Returns: a customer asks to return items of a delivered order; an admin receives them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.system import ManualClock
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
        response = await api.http.post(
            f"/admin/orders/{order['id']}/{step}", headers=admin["headers"]
        )
        assert response.status_code == 200, response.text
    return admin, customer, product, order


async def _ask(api: Api, customer: dict[str, Any], order_id: str, items: list[dict]) -> Any:
    return await api.http.post(
        f"/orders/{order_id}/returns", json={"items": items}, headers=customer["headers"]
    )


async def test_a_received_return_restocks_and_refunds_the_items(api: Api) -> None:
    admin, customer, product, order = await _delivered_order(api, quantity=3)
    asked = await _ask(api, customer, order["id"], [{"product_id": product["id"], "quantity": 2}])
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["refund_amount"], request["refunded"]) == (
        "REQUESTED",
        "39.98",
        False,
    )
    assert (await api.stock(admin, product["id"]))["on_hand"] == 7
    received = await api.http.post(
        f"/admin/returns/{request['id']}/receive", headers=admin["headers"]
    )
    assert received.status_code == 200, received.text
    assert (received.json()["status"], received.json()["refunded"]) == ("RECEIVED", True)
    assert (await api.stock(admin, product["id"]))["on_hand"] == 9
    moves = (
        await api.http.get(f"/admin/inventory/{product['id']}/movements", headers=admin["headers"])
    ).json()["items"]
    assert (moves[-1]["delta_on_hand"], moves[-1]["reason"], moves[-1]["reference"]) == (
        2,
        "return",
        request["id"],
    )
    gateway = api.app.state.container.gateway()
    assert gateway.partial_refunds[order["id"]] == {
        f"return-{request['id']}": Money(Decimal("39.98"), "USD")
    }
    again = await api.http.post(f"/admin/returns/{request['id']}/receive", headers=admin["headers"])
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
    assert_problem(
        await _ask(api, customer, order["id"], [{"product_id": "not-ordered", "quantity": 1}]), 409
    )


async def test_only_a_delivered_order_can_be_returned(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=5)
    customer = await api.customer()
    await api.in_cart(customer, product["id"])
    order = (await api.checkout(customer)).json()
    problem = assert_problem(
        await _ask(api, customer, order["id"], [{"product_id": product["id"], "quantity": 1}]), 409
    )
    assert "delivered" in problem["detail"]


async def test_another_customers_order_is_404(api: Api) -> None:
    _, _, product, order = await _delivered_order(api)
    stranger = await api.customer()
    assert_problem(
        await _ask(api, stranger, order["id"], [{"product_id": product["id"], "quantity": 1}]), 404
    )
    assert_problem(
        await _ask(api, stranger, "nope", [{"product_id": product["id"], "quantity": 1}]), 404
    )


async def test_receiving_is_for_admins_and_known_returns(api: Api) -> None:
    admin, customer, product, order = await _delivered_order(api)
    request = (
        await _ask(api, customer, order["id"], [{"product_id": product["id"], "quantity": 1}])
    ).json()
    assert_problem(
        await api.http.post(f"/admin/returns/{request['id']}/receive", headers=customer["headers"]),
        403,
    )
    assert_problem(
        await api.http.post("/admin/returns/nope/receive", headers=admin["headers"]), 404
    )


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([{"product_id": "p", "quantity": 0}], "items.0.quantity"),
        ([{"product_id": "p", "quantity": 1001}], "items.0.quantity"),
        ([{"product_id": "", "quantity": 1}], "items.0.product_id"),
    ],
)
async def test_invalid_returns_are_422(api: Api, items: list, field: str) -> None:
    _, customer, _, order = await _delivered_order(api)
    problem = assert_problem(await _ask(api, customer, order["id"], items), 422)
    assert problem["errors"][0]["field"] == field


async def test_a_customer_reads_the_returns_of_their_order_and_no_one_elses(
    api: Api, clock: ManualClock
) -> None:
    admin, customer, product, order = await _delivered_order(api, quantity=3)
    path = f"/orders/{order['id']}/returns"
    empty = await api.http.get(path, headers=customer["headers"])
    assert (empty.status_code, empty.json()) == (200, {"items": []})
    first = (
        await _ask(api, customer, order["id"], [{"product_id": product["id"], "quantity": 1}])
    ).json()
    clock.advance(timedelta(minutes=1))
    second = (
        await _ask(api, customer, order["id"], [{"product_id": product["id"], "quantity": 2}])
    ).json()
    await api.http.post(f"/admin/returns/{first['id']}/receive", headers=admin["headers"])

    mine = await api.http.get(path, headers=customer["headers"])
    assert mine.status_code == 200, mine.text
    assert [(r["id"], r["status"], r["items"]) for r in mine.json()["items"]] == [
        (first["id"], "RECEIVED", [{"product_id": product["id"], "quantity": 1}]),
        (second["id"], "REQUESTED", [{"product_id": product["id"], "quantity": 2}]),
    ]
    assert (await api.http.get(path, headers=admin["headers"])).json() == mine.json()
    stranger = await api.customer()
    assert_problem(await api.http.get(path, headers=stranger["headers"]), 404)
    assert_problem(await api.http.get("/orders/nope/returns", headers=customer["headers"]), 404)
    assert_problem(await api.http.get(path), 401)


async def test_admins_list_returns_by_status_oldest_first_in_pages(
    api: Api, clock: ManualClock
) -> None:
    admin, customer, product, order = await _delivered_order(api, quantity=5)
    asked = []
    for _ in range(3):
        asked.append(
            (
                await _ask(
                    api, customer, order["id"], [{"product_id": product["id"], "quantity": 1}]
                )
            ).json()
        )
        clock.advance(timedelta(seconds=5))
    await api.http.post(f"/admin/returns/{asked[1]['id']}/receive", headers=admin["headers"])

    async def listed(params: dict[str, Any]) -> dict[str, Any]:
        response = await api.http.get("/admin/returns", params=params, headers=admin["headers"])
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    requested = await listed({"status": "REQUESTED"})
    assert ([r["id"] for r in requested["items"]], requested["total"]) == (
        [asked[0]["id"], asked[2]["id"]],
        2,
    )
    received = await listed({"status": "RECEIVED"})
    assert [(r["id"], r["status"], r["refunded"]) for r in received["items"]] == [
        (asked[1]["id"], "RECEIVED", True)
    ]
    everything = await listed({})
    assert [r["id"] for r in everything["items"]] == [r["id"] for r in asked]
    second_page = await listed({"page": 2, "page_size": 2})
    assert (
        second_page["items"][0]["id"],
        second_page["total"],
        second_page["page"],
        second_page["page_size"],
    ) == (asked[2]["id"], 3, 2, 2)
    assert (await listed({"page": 3, "page_size": 2}))["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "LOST"}, "status"),
        ({"status": "requested"}, "status"),
        ({"page": "0"}, "page"),
        ({"page_size": "101"}, "page_size"),
        ({"page": "x"}, "page"),
    ],
)
async def test_bad_return_list_queries_are_4xx(
    api: Api, params: dict[str, str], field: str
) -> None:
    admin = await api.admin()
    response = await api.http.get("/admin/returns", params=params, headers=admin["headers"])
    assert 400 <= response.status_code < 500, response.text
    problem = assert_problem(response, response.status_code)
    assert problem["errors"][0]["field"] == field


async def test_only_admins_list_every_return(api: Api) -> None:
    customer = await api.customer()
    assert_problem(await api.http.get("/admin/returns", headers=customer["headers"]), 403)
    assert_problem(await api.http.get("/admin/returns"), 401)


async def test_the_return_reads_are_in_the_openapi_document(api: Api) -> None:
    paths = (await api.http.get("/openapi.json")).json()["paths"]
    assert paths["/admin/returns"]["get"]["parameters"][0]["schema"]["enum"] == [
        "REQUESTED",
        "RECEIVED",
    ]
    assert "404" in paths["/orders/{order_id}/returns"]["get"]["responses"]
