"""Checkout (idempotent, hybrid), the customer's orders, and the admin's shipping steps."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets

import orjson
from starlette.requests import Request
from starlette.responses import Response

from commerce_core.ordering.commands import (
    CancelOrder,
    DeliverOrder,
    GetOrder,
    ListOrders,
    ShipOrder,
)
from commerce_core.ordering.idempotency import IdempotencyStore, StoredResponse
from commerce_core.ordering.model import CancelReason, Order, OrderStatus
from commerce_core.shared.errors import (
    IdempotencyKeyReused,
    InvalidInput,
    RequestInFlight,
)
from entrypoints.http import models as m
from entrypoints.http import presenters as present
from entrypoints.http.problems import problem
from entrypoints.http.routing import (
    ADMIN,
    CUSTOMER,
    Header,
    Operation,
    body,
    bus,
    caller,
    is_admin,
    json,
    query,
)
from entrypoints.http.schema import dump

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_CANCELLED_AS = {
    CancelReason.PAYMENT_DECLINED.value: (402, "Payment declined"),
    CancelReason.OUT_OF_STOCK.value: (409, "Out of stock"),
}


def _outcome_response(order: Order) -> Response:
    location = {"Location": f"/orders/{order.id}"}
    if order.status is OrderStatus.PENDING:
        return json(present.order(order), 202, location)
    if order.status is OrderStatus.CANCELLED:
        status, title = _CANCELLED_AS.get(order.cancel_reason or "", (409, "Order cancelled"))
        return problem(status, title, f"order {order.id} was cancelled: {order.cancel_reason}",
                       code=order.cancel_reason or "order_cancelled", headers=location,
                       order_id=order.id, cancel_reason=order.cancel_reason)
    return json(present.order(order), 201, location)


def _replay(stored: StoredResponse) -> Response:
    media = "application/json" if stored.status < 400 else "application/problem+json"
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.body, stored.status, headers=headers, media_type=media)


async def checkout(request: Request) -> Response:
    data = await body(request, m.CheckoutRequest)
    user_id = caller(request).user_id
    key = request.headers.get("idempotency-key")
    state = request.app.state
    if key is None:
        return _outcome_response(await state.checkout.place(user_id, data.payment_method.token))
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("Idempotency-Key: 1 to 255 visible ASCII characters",
                           field="Idempotency-Key")
    fingerprint = hashlib.sha256(orjson.dumps(dump(data), option=orjson.OPT_SORT_KEYS))
    store: IdempotencyStore = state.idempotency
    claim_id = secrets.token_hex(16)
    earlier = await store.claim(
        user_id, key, fingerprint.hexdigest(), state.clock.now(), claim_id=claim_id
    )
    if earlier is not None:
        if earlier.fingerprint != fingerprint.hexdigest():
            raise IdempotencyKeyReused(field="Idempotency-Key")
        if earlier.response is None:
            raise RequestInFlight()
        return _replay(earlier.response)
    async def place_and_remember() -> Response:
        try:
            response = _outcome_response(
                await state.checkout.place(user_id, data.payment_method.token)
            )
        except BaseException:
            # Nothing was ordered (empty cart, ...): the key stays free for a corrected retry.
            if not await store.release(user_id, key, claim_id=claim_id):
                _log_lost_claim("release", user_id, key)
            raise
        stored = StoredResponse(
            response.status_code, bytes(response.body), response.headers.get("location")
        )
        if not await store.complete(user_id, key, stored, claim_id=claim_id):
            _log_lost_claim("complete", user_id, key)
        return response

    # Shielded: a client that hangs up mid-checkout must not leave an order without its record,
    # or its retry with the same key would order twice.
    return await asyncio.shield(place_and_remember())


def _log_lost_claim(step: str, user_id: str, key: str) -> None:
    # The checkout outlived the claim's lease and a retry took the key over: that retry's claim
    # is the key's now, so this request's answer is not kept (the lease is too short for it).
    log.warning(
        "idempotency claim lost: %s skipped, the claim was taken over after its lease "
        "(user %s, key %r)", step, user_id, key,
    )


async def list_orders(request: Request) -> Response:
    q = query(request, m.PageQuery)
    orders, total = await bus(request).handle(
        ListOrders(user_id=caller(request).user_id, page=q.page, page_size=q.page_size)
    )
    return json(m.OrderPageOut([present.order(o) for o in orders], total, q.page, q.page_size))


async def get_order(request: Request) -> Response:
    order = await bus(request).handle(GetOrder(
        order_id=request.path_params["order_id"], requested_by=caller(request).user_id,
        as_admin=is_admin(request),
    ))
    return json(present.order(order))


async def cancel_order(request: Request) -> Response:
    order = await bus(request).handle(CancelOrder(
        order_id=request.path_params["order_id"], requested_by=caller(request).user_id,
        as_admin=is_admin(request),
    ))
    return json(present.order(order))


async def ship_order(request: Request) -> Response:
    return json(present.order(await bus(request).handle(
        ShipOrder(request.path_params["order_id"])
    )))


async def deliver_order(request: Request) -> Response:
    return json(present.order(await bus(request).handle(
        DeliverOrder(request.path_params["order_id"])
    )))


_LOCATION = {"Location": "the order: /orders/{id}"}
OPERATIONS = [
    Operation(
        method="POST", path="/orders/checkout", endpoint=checkout, tag="orders", roles=CUSTOMER,
        summary="Order the cart; waits for the payment's outcome up to COMMERCE_CHECKOUT_WAIT_MS",
        body=m.CheckoutRequest,
        responses={201: m.OrderOut, 202: m.OrderOut},
        errors=(402, 409),
        request_headers=(Header(
            name="Idempotency-Key",
            description="Repeat a checkout safely: the same key and body replay the answer",
            schema={"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
        ),),
        response_headers={201: _LOCATION, 202: _LOCATION, 402: _LOCATION},
    ),
    Operation(method="GET", path="/orders", endpoint=list_orders, tag="orders", roles=CUSTOMER,
              summary="Your orders, newest first", query=m.PageQuery,
              responses={200: m.OrderPageOut}, reads="replica"),
    Operation(method="GET", path="/orders/{order_id}", endpoint=get_order, tag="orders",
              roles=CUSTOMER, summary="One of your orders (any order for an admin)",
              responses={200: m.OrderOut}, errors=(404,)),
    Operation(method="POST", path="/orders/{order_id}/cancel", endpoint=cancel_order,
              tag="orders", roles=CUSTOMER, summary="Cancel an order; its stock comes back",
              responses={200: m.OrderOut}, errors=(404, 409)),
    Operation(method="POST", path="/admin/orders/{order_id}/ship", endpoint=ship_order,
              tag="admin", roles=ADMIN, summary="Mark a confirmed order shipped",
              responses={200: m.OrderOut}, errors=(404, 409)),
    Operation(method="POST", path="/admin/orders/{order_id}/deliver", endpoint=deliver_order,
              tag="admin", roles=ADMIN, summary="Mark a shipped order delivered",
              responses={200: m.OrderOut}, errors=(404, 409)),
]
