"""Checkout (hybrid, idempotent), the customer's orders and the admin's shipping steps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters.system import ManualClock
from api.support import Api, assert_problem
from commerce_core.ordering.commands import ExpireReservations


async def test_checkout_with_an_approved_card_confirms_the_order(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, price="19.99", stock=5)
    await api.in_cart(customer, product["id"], 2)
    response = await api.checkout(customer, "tok_visa")
    assert response.status_code == 201
    order = response.json()
    assert response.headers["location"] == f"/orders/{order['id']}"
    assert order["status"] == "CONFIRMED"
    assert order["total"] == "39.98"
    assert order["items"] == [{"product_id": product["id"], "sku": product["sku"],
                               "name": "Widget", "quantity": 2, "price": "19.99",
                               "subtotal": "39.98"}]
    assert order["cancel_reason"] is None
    stock = await api.stock(admin, product["id"])
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (3, 0, 3)
    assert (await api.http.get("/cart", headers=customer["headers"])).json()["items"] == []


async def test_a_declined_card_is_402_and_the_stock_comes_back(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 2)
    problem = assert_problem(await api.checkout(customer, "tok_chargeDeclined"), 402)
    order = (await api.http.get(f"/orders/{problem['order_id']}",
                                headers=customer["headers"])).json()
    assert order["status"] == "CANCELLED"
    assert order["cancel_reason"] == "payment_declined"
    assert (await api.stock(admin, product["id"]))["available"] == 5


async def test_stock_gone_before_checkout_is_409_with_the_cancelled_order(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 5)
    await api.http.post(f"/admin/inventory/{product['id']}/adjustments",
                        headers=admin["headers"], json={"delta": -3, "reason": "damage"})
    problem = assert_problem(await api.checkout(customer), 409)
    order = (await api.http.get(f"/orders/{problem['order_id']}",
                                headers=customer["headers"])).json()
    assert (order["status"], order["cancel_reason"]) == ("CANCELLED", "out_of_stock")


async def test_an_empty_cart_cannot_check_out(api: Api) -> None:
    customer = await api.customer()
    problem = assert_problem(await api.checkout(customer), 409)
    assert "order_id" not in problem


async def test_a_malformed_payment_method_is_422(api: Api) -> None:
    customer = await api.customer()
    for body in ({"payment_method": {"type": "cash", "token": "tok_visa"}},
                 {"payment_method": {"type": "card"}}, {}, {"payment_method": "tok_visa"}):
        response = await api.http.post("/orders/checkout", json=body,
                                        headers=customer["headers"])
        assert_problem(response, 422)


async def test_a_gateway_that_never_answers_gives_202_then_the_sweeper_cancels(
    api: Api, clock: ManualClock
) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 1)
    response = await api.checkout(customer, "tok_timeout")
    assert response.status_code == 202
    order = response.json()
    assert order["status"] == "PENDING"
    assert response.headers["location"] == f"/orders/{order['id']}"
    assert (await api.stock(admin, product["id"]))["reserved"] == 1
    clock.advance(timedelta(seconds=901))
    await api.app.state.bus.handle(ExpireReservations())
    polled = (await api.http.get(response.headers["location"],
                                 headers=customer["headers"])).json()
    assert (polled["status"], polled["cancel_reason"]) == ("CANCELLED", "reservation_expired")
    assert (await api.stock(admin, product["id"]))["available"] == 5


async def test_list_get_and_cancel_orders(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 2)
    order = (await api.checkout(customer)).json()
    page = (await api.http.get("/orders", headers=customer["headers"])).json()
    assert [o["id"] for o in page["items"]] == [order["id"]]
    assert (page["total"], page["page"], page["page_size"]) == (1, 1, 20)
    assert_problem(await api.http.get("/orders", params={"page_size": "0"},
                                      headers=customer["headers"]), 422)
    cancelled = await api.http.post(f"/orders/{order['id']}/cancel",
                                    headers=customer["headers"])
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "CANCELLED"
    assert cancelled.json()["cancel_reason"] == "customer_cancelled"
    assert (await api.stock(admin, product["id"]))["on_hand"] == 5
    again = await api.http.post(f"/orders/{order['id']}/cancel", headers=customer["headers"])
    assert_problem(again, 409)
    assert_problem(await api.http.get("/orders/nope", headers=customer["headers"]), 404)


async def test_admin_ships_and_delivers(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin)
    await api.in_cart(customer, product["id"])
    order = (await api.checkout(customer)).json()
    early = await api.http.post(f"/admin/orders/{order['id']}/deliver", headers=admin["headers"])
    assert_problem(early, 409)
    shipped = await api.http.post(f"/admin/orders/{order['id']}/ship", headers=admin["headers"])
    assert shipped.json()["status"] == "SHIPPED"
    cancel = await api.http.post(f"/orders/{order['id']}/cancel", headers=customer["headers"])
    assert_problem(cancel, 409)
    delivered = await api.http.post(f"/admin/orders/{order['id']}/deliver",
                                    headers=admin["headers"])
    assert delivered.json()["status"] == "DELIVERED"
    seen = await api.http.get(f"/orders/{order['id']}", headers=admin["headers"])
    assert seen.json()["status"] == "DELIVERED"  # an admin reads any order
    assert_problem(await api.http.post("/admin/orders/nope/ship", headers=admin["headers"]), 404)


async def test_an_admin_cancels_any_order(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin)
    await api.in_cart(customer, product["id"])
    order = (await api.checkout(customer)).json()
    response = await api.http.post(f"/orders/{order['id']}/cancel", headers=admin["headers"])
    assert response.json()["cancel_reason"] == "admin_cancelled"


# -- Idempotency-Key ---------------------------------------------------------------------------


async def test_the_same_key_and_body_replays_the_answer(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 1)
    first = await api.checkout(customer, key="order-1")
    second = await api.checkout(customer, key="order-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert (await api.http.get("/orders", headers=customer["headers"])).json()["total"] == 1


async def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 1)
    await api.checkout(customer, "tok_visa", key="k-2")
    problem = assert_problem(await api.checkout(customer, "tok_chargeDeclined", key="k-2"), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"


async def test_the_same_key_in_flight_is_409(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 1)
    first = asyncio.create_task(api.checkout(customer, "tok_timeout", key="slow"))
    await asyncio.sleep(0.05)
    assert_problem(await api.checkout(customer, "tok_timeout", key="slow"), 409)
    assert (await first).status_code == 202
    replay = await api.checkout(customer, "tok_timeout", key="slow")
    assert replay.status_code == 202


async def test_keys_belong_to_their_customer(api: Api) -> None:
    admin = await api.admin()
    ana, bob = await api.customer(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(ana, product["id"])
    await api.in_cart(bob, product["id"])
    a = await api.checkout(ana, key="shared")
    b = await api.checkout(bob, key="shared")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


async def test_a_failed_checkout_frees_its_key(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    assert_problem(await api.checkout(customer, key="retry-me"), 409)  # empty cart
    product = await api.product(admin)
    await api.in_cart(customer, product["id"])
    assert (await api.checkout(customer, key="retry-me")).status_code == 201


async def test_a_malformed_key_is_422(api: Api) -> None:
    customer = await api.customer()
    problem = assert_problem(await api.checkout(customer, key="x" * 300), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"


async def test_fifty_concurrent_checkouts_with_one_key_create_one_order(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=100)
    await api.in_cart(customer, product["id"], 3)
    responses = await asyncio.gather(*(api.checkout(customer, key="same") for _ in range(50)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    orders = (await api.http.get("/orders", headers=customer["headers"])).json()
    assert orders["total"] == 1
    assert (await api.stock(admin, product["id"]))["on_hand"] == 97
    assert api.app.state.container.gateway().charged_twice() == []


async def test_a_client_that_hangs_up_mid_checkout_does_not_order_twice(api: Api) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 1)
    hung_up = asyncio.create_task(api.checkout(customer, "tok_timeout", key="flaky-network"))
    await asyncio.sleep(0.05)
    hung_up.cancel()
    await asyncio.sleep(0.5)  # past the checkout's wait: the first attempt has its answer
    retry = await api.checkout(customer, "tok_timeout", key="flaky-network")
    assert retry.status_code == 202
    assert retry.headers["idempotent-replayed"] == "true"
    assert (await api.http.get("/orders", headers=customer["headers"])).json()["total"] == 1
