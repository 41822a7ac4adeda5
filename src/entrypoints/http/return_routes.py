"""Returns: the customer asks to send items of a delivered order back; an admin receives them
(stock back as ``return`` movements, the items' price refunded)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response

from commerce_core.inventory.model import MAX_QUANTITY
from commerce_core.ordering.return_commands import ReceiveReturn, RequestReturn
from commerce_core.ordering.returns import ReturnRequest, ReturnStatus
from entrypoints.http.routing import (
    ADMIN,
    CUSTOMER,
    Operation,
    body,
    bus,
    caller,
    is_admin,
    json,
)
from entrypoints.http.schema import spec


@frozen
class ReturnItemRequest:
    product_id: str = spec(min_length=1, max_length=100)
    quantity: int = spec(minimum=1, maximum=MAX_QUANTITY)


@frozen
class ReturnRequestBody:
    items: list[ReturnItemRequest] = spec(description="1 to 100 items")


@frozen
class ReturnItemOut:
    product_id: str
    quantity: int


@frozen
class ReturnOut:
    id: str
    order_id: str
    status: str = spec(enum=tuple(s.value for s in ReturnStatus))
    items: list[ReturnItemOut] = spec()
    refund_amount: Decimal = spec()
    currency: str = spec()
    refunded: bool = spec()
    requested_at: datetime = spec()
    updated_at: datetime = spec()


def present(r: ReturnRequest) -> ReturnOut:
    return ReturnOut(
        r.id, r.order_id, r.status.value,
        [ReturnItemOut(item.product_id, item.quantity) for item in r.items],
        r.refund_amount.amount, r.refund_amount.currency, r.refunded, r.requested_at,
        r.updated_at,
    )


async def request_return(request: Request) -> Response:
    data = await body(request, ReturnRequestBody)
    return_request = await bus(request).handle(RequestReturn(
        order_id=request.path_params["order_id"], requested_by=caller(request).user_id,
        items=tuple((item.product_id, item.quantity) for item in data.items),
        as_admin=is_admin(request),
    ))
    return json(present(return_request), 201)


async def receive_return(request: Request) -> Response:
    return_request = await bus(request).handle(ReceiveReturn(request.path_params["return_id"]))
    return json(present(return_request))


OPERATIONS = [
    Operation(method="POST", path="/orders/{order_id}/returns", endpoint=request_return,
              tag="orders", roles=CUSTOMER,
              summary="Ask to return items of a delivered order (409 if not delivered or more "
                      "than ordered and not yet returned)",
              body=ReturnRequestBody, responses={201: ReturnOut}, errors=(404, 409)),
    Operation(method="POST", path="/admin/returns/{return_id}/receive", endpoint=receive_return,
              tag="orders", roles=ADMIN,
              summary="Receive a return: stock comes back, the items' price is refunded "
                      "(409 the second time)",
              responses={200: ReturnOut}, errors=(404, 409)),
]
