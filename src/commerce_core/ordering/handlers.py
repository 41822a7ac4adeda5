from __future__ import annotations

from commerce_core.cart.ports import CartRepository
from commerce_core.inventory.events import InventoryReleased, InventoryReservationFailed
from commerce_core.ordering.commands import (
    CancelOrder,
    Checkout,
    DeliverOrder,
    ExpireReservations,
    GetOrder,
    ListOrders,
    ShipOrder,
)
from commerce_core.ordering.model import CancelReason, Order, OrderLine, OrderStatus
from commerce_core.payments.events import PaymentProcessed
from commerce_core.shared.errors import (
    EmptyCart,
    InvalidInput,
    OrderNotFound,
    ProductUnavailable,
)
from commerce_core.shared.ports import Clock, IdGenerator
from commerce_core.shared.unit_of_work import UnitOfWork

MAX_PAGE_SIZE = 100
RELEASE_TO_CANCEL_REASON = {
    "payment_failed": CancelReason.PAYMENT_DECLINED,
    "expired": CancelReason.RESERVATION_EXPIRED,
}


def _check_payment_token(token: str) -> str:
    if not isinstance(token, str) or not 1 <= len(token) <= 200 or not token.isprintable():
        raise InvalidInput("payment token must be 1 to 200 printable characters",
                           field="payment_method.token")
    return token


async def checkout(
    command: Checkout, uow: UnitOfWork, carts: CartRepository, clock: Clock, ids: IdGenerator
) -> Order:
    token = _check_payment_token(command.payment_token)
    cart = await carts.get(command.user_id)
    if cart.is_empty:
        raise EmptyCart()
    async with uow:
        products = await uow.products.get_many(list(cart.lines))
        lines = []
        for product_id, quantity in cart.lines.items():
            product = products.get(product_id)
            if product is None or not product.active:
                raise ProductUnavailable(product_id=product_id)
            lines.append(OrderLine(product.id, product.sku, product.name, quantity, product.price))
        order = Order.place(
            order_id=command.order_id or ids.new_id(),
            user_id=command.user_id,
            lines=lines,
            payment_method=token,
            now=clock.now(),
        )
        uow.orders.add(order)
        await uow.commit()
    # The order is safe; a crash here leaves a full cart, which is harmless.
    await carts.clear(command.user_id)
    return order


async def _owned_order(uow: UnitOfWork, order_id: str, user_id: str, as_admin: bool) -> Order:
    order = await uow.orders.get(order_id)
    if order is None or not (as_admin or order.user_id == user_id):
        raise OrderNotFound()  # another customer's order does not exist, as far as you know
    return order


async def cancel_order(command: CancelOrder, uow: UnitOfWork, clock: Clock) -> Order:
    async with uow:
        order = await _owned_order(uow, command.order_id, command.requested_by, command.as_admin)
        reason = (
            CancelReason.ADMIN_CANCELLED if command.as_admin else CancelReason.CUSTOMER_CANCELLED
        )
        order.cancel(clock.now(), reason)
        await uow.commit()
    return order


async def ship_order(command: ShipOrder, uow: UnitOfWork, clock: Clock) -> Order:
    async with uow:
        order = await uow.orders.get(command.order_id)
        if order is None:
            raise OrderNotFound()
        order.ship(clock.now())
        await uow.commit()
    return order


async def deliver_order(command: DeliverOrder, uow: UnitOfWork, clock: Clock) -> Order:
    async with uow:
        order = await uow.orders.get(command.order_id)
        if order is None:
            raise OrderNotFound()
        order.deliver(clock.now())
        await uow.commit()
    return order


async def get_order(query: GetOrder, uow: UnitOfWork) -> Order:
    async with uow:
        return await _owned_order(uow, query.order_id, query.requested_by, query.as_admin)


async def list_orders(query: ListOrders, uow: UnitOfWork) -> tuple[list[Order], int]:
    if query.page < 1:
        raise InvalidInput("page starts at 1", field="page")
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be 1 to {MAX_PAGE_SIZE}", field="page_size")
    async with uow:
        return await uow.orders.list_for_user(
            query.user_id, offset=(query.page - 1) * query.page_size, limit=query.page_size
        )


async def _cancel_if_pending(
    uow: UnitOfWork, order_id: str, reason: CancelReason, clock: Clock
) -> None:
    async with uow:
        order = await uow.orders.get(order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            return  # confirmed or cancelled already: the first outcome stands
        order.cancel(clock.now(), reason)
        await uow.commit()


async def confirm_paid_order(event: PaymentProcessed, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        order = await uow.orders.get(event.order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            # Cancelled first (expiry, customer): payments refunds on OrderCancelled.
            return
        order.confirm(clock.now())
        await uow.commit()


async def cancel_unreserved_order(
    event: InventoryReservationFailed, uow: UnitOfWork, clock: Clock
) -> None:
    await _cancel_if_pending(uow, event.order_id, CancelReason.OUT_OF_STOCK, clock)


async def cancel_released_order(event: InventoryReleased, uow: UnitOfWork, clock: Clock) -> None:
    reason = RELEASE_TO_CANCEL_REASON.get(event.reason, CancelReason.ADMIN_CANCELLED)
    await _cancel_if_pending(uow, event.order_id, reason, clock)


async def expire_reservations(command: ExpireReservations, uow: UnitOfWork, clock: Clock) -> int:
    """Cancels the orders of overdue reservations; OrderCancelled then releases their stock.

    The order decides between payment and expiry: whichever moves it out of PENDING first wins,
    so a reservation is never both committed and released.
    """
    now = clock.now()
    async with uow:
        overdue = [r.order_id for r in await uow.reservations.expired(now, limit=command.limit)]
    cancelled = 0
    for order_id in overdue:
        async with uow:
            order = await uow.orders.get(order_id)
            if order is None or order.status is not OrderStatus.PENDING:
                continue
            order.cancel(now, CancelReason.RESERVATION_EXPIRED)
            await uow.commit()
            cancelled += 1
    return cancelled


COMMAND_HANDLERS = {
    Checkout: checkout,
    CancelOrder: cancel_order,
    ShipOrder: ship_order,
    DeliverOrder: deliver_order,
    ExpireReservations: expire_reservations,
    GetOrder: get_order,
    ListOrders: list_orders,
}
EVENT_HANDLERS = {
    PaymentProcessed: [confirm_paid_order],
    InventoryReservationFailed: [cancel_unreserved_order],
    InventoryReleased: [cancel_released_order],
}
