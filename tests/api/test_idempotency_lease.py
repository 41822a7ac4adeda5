"""An Idempotency-Key whose first request died in flight is free again once the claim's lease has
run out: the client's retry orders instead of getting 409 for ever. A first request that was only
slow, and finishes after the retry took its claim over, leaves the retry's claim alone."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import orjson
import pytest

from adapters.system import ManualClock
from api.support import Api, assert_problem
from commerce_core.ordering.idempotency import StoredResponse
from entrypoints.http.models import CheckoutRequest
from entrypoints.http.schema import dump, parse

BODY = {"payment_method": {"type": "card", "token": "tok_visa"}}


def _fingerprint(body: dict[str, object]) -> str:
    # The route's recipe: the parsed body dumped with sorted keys.
    data = dump(parse(body, CheckoutRequest))
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def test_a_retry_takes_over_a_claim_whose_request_died(api: Api, clock: ManualClock) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    await api.in_cart(customer, product["id"], 1)
    store = api.app.state.container.idempotency()
    # A process claims the key for this very request, then dies before it orders anything.
    assert (
        await store.claim(
            customer["user"]["id"], "dead", _fingerprint(BODY), clock.now(), claim_id="dead"
        )
        is None
    )

    assert_problem(await api.checkout(customer, key="dead"), 409)
    clock.advance(timedelta(seconds=59))
    assert_problem(await api.checkout(customer, key="dead"), 409)  # the lease still runs
    clock.advance(timedelta(seconds=1))
    retry = await api.checkout(customer, key="dead")
    assert retry.status_code == 201, retry.text
    assert retry.json()["status"] == "CONFIRMED"

    replay = await api.checkout(customer, key="dead")
    assert (replay.status_code, replay.json()) == (201, retry.json())
    assert replay.headers["idempotent-replayed"] == "true"
    clock.advance(timedelta(minutes=10))  # a completed key does not expire with the lease
    late = await api.checkout(customer, key="dead")
    assert (late.status_code, late.headers["idempotent-replayed"]) == (201, "true")
    orders = (await api.http.get("/orders", headers=customer["headers"])).json()
    assert orders["total"] == 1
    assert (await api.stock(admin, product["id"]))["on_hand"] == 4


@pytest.mark.parametrize("first_request", ["orders", "fails"])
async def test_a_first_request_that_outlived_its_lease_leaves_the_retrys_claim_alone(
    api: Api,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    first_request: str,
) -> None:
    admin, customer = await api.admin(), await api.customer()
    product = await api.product(admin, stock=5)
    if first_request == "orders":
        await api.in_cart(customer, product["id"], 1)  # else the empty cart fails the checkout
    user_id = customer["user"]["id"]
    store = api.app.state.container.idempotency()
    checkout = api.app.state.checkout
    place = checkout.place

    async def slow_place(user_id: str, payment_token: str) -> object:
        try:
            return await place(user_id, payment_token)
        finally:
            # The checkout ran past the lease, and meanwhile the client's retry took the key over.
            clock.advance(timedelta(seconds=60))
            assert await store.claim(
                user_id, "slow", _fingerprint(BODY), clock.now(), claim_id="retry"
            ) is None

    monkeypatch.setattr(checkout, "place", slow_place)
    with caplog.at_level(logging.WARNING, logger="entrypoints.http.order_routes"):
        first = await api.checkout(customer, key="slow")
    monkeypatch.undo()
    assert first.status_code == (201 if first_request == "orders" else 409), first.text
    assert "idempotency claim lost" in caplog.text

    # Neither the first request's answer nor its release touched the retry's claim.
    in_flight = assert_problem(await api.checkout(customer, key="slow"), 409)
    assert in_flight["type"].endswith(":request_in_flight")
    retry_answer = StoredResponse(201, b'{"id": "retry"}', "/orders/retry")
    assert await store.complete(user_id, "slow", retry_answer, claim_id="retry")
    replay = await api.checkout(customer, key="slow")
    assert (replay.status_code, replay.content) == (201, retry_answer.body)
    assert replay.headers["idempotent-replayed"] == "true"
