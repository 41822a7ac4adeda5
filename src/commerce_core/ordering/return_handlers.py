"""Returns: asked for by the customer, received by an admin (stock back, money back)."""

from __future__ import annotations

from commerce_core.inventory.model import MovementReason
from commerce_core.ordering.return_commands import (
    GetOrderReturns,
    ListReturns,
    ReceiveReturn,
    RequestReturn,
)
from commerce_core.ordering.returns import (
    ReturnAlreadyReceived,
    ReturnNotFound,
    ReturnRequest,
    ReturnStatus,
)
from commerce_core.payments.ports import PaymentGateway
from commerce_core.shared.errors import InvalidInput, OrderNotFound, StockNotFound
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork

MAX_PAGE_SIZE = 100


async def request_return(command: RequestReturn, uow: UnitOfWork, clock: Clock) -> ReturnRequest:
    async with uow:
        order = await uow.orders.get(command.order_id)
        if order is None or not (command.as_admin or order.user_id == command.requested_by):
            raise OrderNotFound()
        earlier = await uow.returns.for_order(order.id)
        return_request = ReturnRequest.request(order, earlier, command.items, now=clock.now())
        uow.returns.add(return_request)
        await uow.commit()  # a racing request claimed the same id: conflict, the bus retries
    return return_request


async def receive_return(
    command: ReceiveReturn, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock
) -> ReturnRequest:
    async with uow:
        pending = await uow.returns.get(command.return_id)
    if pending is None:
        raise ReturnNotFound()
    if pending.status is ReturnStatus.RECEIVED:
        raise ReturnAlreadyReceived(f"return {pending.id} was received already")
    # Refund before booking: the refund key makes a repeat (a retry after a failed commit, or
    # a second admin racing this one) a no-op at the gateway, and the commit below decides.
    refunded = await gateway.refund(
        pending.order_id, pending.refund_amount, refund_key=f"return-{pending.id}"
    )
    async with uow:
        return_request = await uow.returns.get(command.return_id)
        assert return_request is not None  # returns are never deleted
        now = clock.now()
        return_request.receive(refunded=refunded, now=now)  # ReturnAlreadyReceived the 2nd time
        stocks = await uow.stock.get_many([item.product_id for item in return_request.items])
        for item in return_request.items:
            stock = stocks.get(item.product_id)
            if stock is None:
                raise StockNotFound(f"product {item.product_id} has no stock record")
            stock.adjust(item.quantity, MovementReason.RETURN, return_request.id, now)
        await uow.commit()
    return return_request


async def get_order_returns(query: GetOrderReturns, uow: UnitOfWork) -> list[ReturnRequest]:
    async with uow:
        order = await uow.orders.get(query.order_id)
        if order is None or not (query.as_admin or order.user_id == query.requested_by):
            raise OrderNotFound()  # someone else's order is no one's business: 404, not 403
        return await uow.returns.for_order(order.id)


async def list_returns(query: ListReturns, uow: UnitOfWork) -> tuple[list[ReturnRequest], int]:
    if query.page < 1:
        raise InvalidInput("page starts at 1", field="page")
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be 1 to {MAX_PAGE_SIZE}", field="page_size")
    async with uow:
        return await uow.returns.with_status(
            query.status, offset=(query.page - 1) * query.page_size, limit=query.page_size
        )


COMMAND_HANDLERS = {
    RequestReturn: request_return,
    ReceiveReturn: receive_return,
    GetOrderReturns: get_order_returns,
    ListReturns: list_returns,
}
