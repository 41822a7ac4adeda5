"""An Idempotency-Key whose first request died in flight is free again once the claim's lease has
run out: the client's retry orders instead of getting 409 for ever."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import orjson

from adapters.system import ManualClock
from api.support import Api, assert_problem
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
        await store.claim(customer["user"]["id"], "dead", _fingerprint(BODY), clock.now()) is None
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
