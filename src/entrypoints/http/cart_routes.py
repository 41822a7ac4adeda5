"""The signed-in customer's cart; there is no way to name another customer's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from commerce_core.cart.commands import (
    AddToCart,
    ClearCart,
    GetCart,
    RemoveFromCart,
    SetCartQuantity,
)
from entrypoints.http import models as m
from entrypoints.http import presenters as present
from entrypoints.http.routing import CUSTOMER, Operation, body, bus, caller, json, no_content


async def get_cart(request: Request) -> Response:
    return json(present.cart(await bus(request).handle(GetCart(caller(request).user_id))))


async def add_item(request: Request) -> Response:
    data = await body(request, m.CartItemRequest)
    cart = await bus(request).handle(
        AddToCart(caller(request).user_id, data.product_id, data.quantity)
    )
    return json(present.cart(cart))


async def set_quantity(request: Request) -> Response:
    data = await body(request, m.CartQuantityRequest)
    cart = await bus(request).handle(SetCartQuantity(
        caller(request).user_id, request.path_params["product_id"], data.quantity
    ))
    return json(present.cart(cart))


async def remove_item(request: Request) -> Response:
    cart = await bus(request).handle(
        RemoveFromCart(caller(request).user_id, request.path_params["product_id"])
    )
    return json(present.cart(cart))


async def clear(request: Request) -> Response:
    await bus(request).handle(ClearCart(caller(request).user_id))
    return no_content()


OPERATIONS = [
    Operation(method="GET", path="/cart", endpoint=get_cart, tag="cart", roles=CUSTOMER,
              summary="Your cart at current prices", responses={200: m.CartOut},
              reads="replica"),
    Operation(method="DELETE", path="/cart", endpoint=clear, tag="cart", roles=CUSTOMER,
              summary="Empty your cart", responses={204: None}),
    Operation(method="POST", path="/cart/items", endpoint=add_item, tag="cart", roles=CUSTOMER,
              summary="Add units of a product (to an existing line too)",
              body=m.CartItemRequest, responses={200: m.CartOut}, errors=(404, 409)),
    Operation(method="PUT", path="/cart/items/{product_id}", endpoint=set_quantity, tag="cart",
              roles=CUSTOMER, summary="Set a line's quantity", body=m.CartQuantityRequest,
              responses={200: m.CartOut}, errors=(404, 409)),
    Operation(method="DELETE", path="/cart/items/{product_id}", endpoint=remove_item,
              tag="cart", roles=CUSTOMER, summary="Remove a line",
              responses={200: m.CartOut}),
]
