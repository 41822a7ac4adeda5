"""Returns: the customer asks to send items of a delivered order back; an admin receives them
(stock back as ``return`` movements, the items' price refunded)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response

from commerce_core.inventory.model import MAX_QUANTITY
from commerce_core.ordering.return_commands import (
    GetOrderReturns,
    ListReturns,
    ReceiveReturn,
    RequestReturn,
)
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
    query,
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


@frozen
class ReturnListOut:
    items: list[ReturnOut]


@frozen
class ReturnQuery:
    status: str | None = spec(default=None, enum=tuple(s.value for s in ReturnStatus))
    page: int = spec(default=1, minimum=1, maximum=10_000)
    page_size: int = spec(default=20, minimum=1, maximum=100)


@frozen
class ReturnPageOut:
    items: list[ReturnOut]
    total: int
    page: int
    page_size: int


def present(r: ReturnRequest) -> ReturnOut:
    return ReturnOut(
        r.id,
        r.order_id,
        r.status.value,
        [ReturnItemOut(item.product_id, item.quantity) for item in r.items],
        r.refund_amount.amount,
        r.refund_amount.currency,
        r.refunded,
        r.requested_at,
        r.updated_at,
    )


async def request_return(request: Request) -> Response:
    data = await body(request, ReturnRequestBody)
    return_request = await bus(request).handle(
        RequestReturn(
            order_id=request.path_params["order_id"],
            requested_by=caller(request).user_id,
            items=tuple((item.product_id, item.quantity) for item in data.items),
            as_admin=is_admin(request),
        )
    )
    return json(present(return_request), 201)


async def receive_return(request: Request) -> Response:
    return_request = await bus(request).handle(ReceiveReturn(request.path_params["return_id"]))
    return json(present(return_request))


async def order_returns(request: Request) -> Response:
    returns = await bus(request).handle(
        GetOrderReturns(
            order_id=request.path_params["order_id"],
            requested_by=caller(request).user_id,
            as_admin=is_admin(request),
        )
    )
    return json(ReturnListOut([present(r) for r in returns]))


async def list_returns(request: Request) -> Response:
    q = query(request, ReturnQuery)
    status = None if q.status is None else ReturnStatus(q.status)
    returns, total = await bus(request).handle(
        ListReturns(status=status, page=q.page, page_size=q.page_size)
    )
    return json(ReturnPageOut([present(r) for r in returns], total, q.page, q.page_size))


OPERATIONS = [
    Operation(
        method="POST",
        path="/orders/{order_id}/returns",
        endpoint=request_return,
        tag="orders",
        roles=CUSTOMER,
        summary="Ask to return items of a delivered order (409 if not delivered or more "
        "than ordered and not yet returned)",
        body=ReturnRequestBody,
        responses={201: ReturnOut},
        errors=(404, 409),
    ),
    Operation(
        method="GET",
        path="/orders/{order_id}/returns",
        endpoint=order_returns,
        tag="orders",
        roles=CUSTOMER,
        summary="The returns of one of your orders (of any order for an admin), oldest first",
        responses={200: ReturnListOut},
        errors=(404,),
    ),
    Operation(
        method="GET",
        path="/admin/returns",
        endpoint=list_returns,
        tag="admin",
        roles=ADMIN,
        summary="Returns in a status (all without one), oldest request first",
        query=ReturnQuery,
        responses={200: ReturnPageOut},
    ),
    Operation(
        method="POST",
        path="/admin/returns/{return_id}/receive",
        endpoint=receive_return,
        tag="orders",
        roles=ADMIN,
        summary="Receive a return: stock comes back, the items' price is refunded "
        "(409 the second time)",
        responses={200: ReturnOut},
        errors=(404, 409),
    ),
]
