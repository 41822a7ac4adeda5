from __future__ import annotations

from datetime import timedelta

from commerce_core.catalog.events import ProductCreated
from commerce_core.inventory.commands import (
    AdjustStock,
    AdjustStockBySku,
    GetStock,
    ListLowStock,
    ListMovements,
    LowStockReport,
    SetLowStockThreshold,
)
from commerce_core.inventory.model import (
    ADJUSTMENT_REASONS,
    LowStockLine,
    Movement,
    MovementReason,
    Reservation,
    ReservationStatus,
    Stock,
)
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderShipped,
)
from commerce_core.payments.events import PaymentFailed
from commerce_core.shared.errors import (
    InsufficientStock,
    InvalidAdjustment,
    StockNotFound,
    UnknownProduct,
)
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork

EXPIRED = "expired"
ORDER_CANCEL_TO_RELEASE_REASON = {"reservation_expired": EXPIRED}


async def open_stock(event: ProductCreated, uow: UnitOfWork) -> None:
    async with uow:
        if await uow.stock.get(event.product_id) is not None:
            return
        uow.stock.add(
            Stock.open(
                event.product_id,
                initial=event.initial_stock,
                low_stock_threshold=event.low_stock_threshold,
                now=event.occurred_at,
            )
        )
        await uow.commit()


async def reserve_stock(
    event: OrderCreated, uow: UnitOfWork, clock: Clock, reservation_ttl: timedelta
) -> None:
    items = [(line.product_id, line.quantity) for line in event.items]
    try:
        async with uow:
            if await uow.reservations.get(event.order_id) is not None:
                return  # this order was handled already
            stocks = await uow.stock.get_many([pid for pid, _ in items])
            missing = next((pid for pid, _ in items if pid not in stocks), None)
            if missing is not None:
                raise InsufficientStock(product_id=missing, requested=0, available=0)
            reservation = Reservation.hold(
                event.order_id, items, stocks, now=clock.now(), ttl=reservation_ttl
            )
            uow.reservations.add(reservation)
            await uow.commit()  # the guarded stock update raises InsufficientStock on a race
    except InsufficientStock as shortage:
        async with uow:
            if await uow.reservations.get(event.order_id) is not None:
                return
            uow.reservations.add(
                Reservation.failed(
                    event.order_id,
                    reason="out_of_stock",
                    product_id=shortage.context.get("product_id"),
                    now=clock.now(),
                )
            )
            await uow.commit()


async def _transition(
    uow: UnitOfWork, order_id: str, allowed: set[ReservationStatus], change: str, **kwargs: object
) -> None:
    async with uow:
        reservation = await uow.reservations.get(order_id)
        if reservation is None or reservation.status not in allowed:
            return  # already moved on: handling the message twice changes nothing
        stocks = await uow.stock.get_many([item.product_id for item in reservation.items])
        getattr(reservation, change)(stocks, **kwargs)
        await uow.commit()


async def commit_reservation(event: OrderConfirmed, uow: UnitOfWork, clock: Clock) -> None:
    await _transition(
        uow, event.order_id, {ReservationStatus.RESERVED}, "commit", now=clock.now()
    )


async def release_after_payment_failure(
    event: PaymentFailed, uow: UnitOfWork, clock: Clock
) -> None:
    await _transition(
        uow,
        event.order_id,
        {ReservationStatus.RESERVED},
        "release",
        now=clock.now(),
        reason="payment_failed",
    )


async def release_after_cancellation(event: OrderCancelled, uow: UnitOfWork, clock: Clock) -> None:
    await _transition(
        uow,
        event.order_id,
        {ReservationStatus.RESERVED, ReservationStatus.COMMITTED},
        "release",
        now=clock.now(),
        reason=ORDER_CANCEL_TO_RELEASE_REASON.get(event.reason, "order_cancelled"),
    )


async def _move_reservation(uow: UnitOfWork, order_id: str, target: ReservationStatus,
                            clock: Clock) -> None:
    async with uow:
        reservation = await uow.reservations.get(order_id)
        if reservation is None or reservation.status is not _BEFORE[target]:
            return
        if target is ReservationStatus.SHIPPED:
            reservation.ship(clock.now())
        else:
            reservation.deliver(clock.now())
        await uow.commit()


_BEFORE = {
    ReservationStatus.SHIPPED: ReservationStatus.COMMITTED,
    ReservationStatus.DELIVERED: ReservationStatus.SHIPPED,
}


async def ship_reservation(event: OrderShipped, uow: UnitOfWork, clock: Clock) -> None:
    await _move_reservation(uow, event.order_id, ReservationStatus.SHIPPED, clock)


async def deliver_reservation(event: OrderDelivered, uow: UnitOfWork, clock: Clock) -> None:
    await _move_reservation(uow, event.order_id, ReservationStatus.DELIVERED, clock)


async def adjust_stock(command: AdjustStock, uow: UnitOfWork, clock: Clock) -> Stock:
    try:
        reason = MovementReason(command.reason)
    except ValueError:
        raise InvalidAdjustment(
            f"reason must be one of {', '.join(sorted(ADJUSTMENT_REASONS))}", field="reason"
        ) from None
    if command.reference is not None and len(command.reference) > 200:
        raise InvalidAdjustment("reference has more than 200 characters", field="reference")
    async with uow:
        stock = await uow.stock.get(command.product_id)
        if stock is None:
            raise StockNotFound()
        stock.adjust(command.delta, reason, command.reference, clock.now())
        await uow.commit()
    return stock


async def adjust_stock_by_sku(command: AdjustStockBySku, uow: UnitOfWork, clock: Clock) -> Stock:
    async with uow:
        product = await uow.products.get_by_sku(command.sku)
    if product is None:
        raise UnknownProduct(f"no product has sku {command.sku!r}")
    return await adjust_stock(
        AdjustStock(product_id=product.id, delta=command.delta, reason=command.reason,
                    reference=command.reference),
        uow, clock,
    )


async def set_low_stock_threshold(command: SetLowStockThreshold, uow: UnitOfWork) -> Stock:
    async with uow:
        stock = await uow.stock.get(command.product_id)
        if stock is None:
            raise StockNotFound()
        stock.set_low_stock_threshold(command.threshold)
        await uow.commit()
    return stock


async def get_stock(query: GetStock, uow: UnitOfWork) -> Stock:
    async with uow:
        stock = await uow.stock.get(query.product_id)
    if stock is None:
        raise StockNotFound()
    return stock


async def list_movements(query: ListMovements, uow: UnitOfWork) -> list[Movement]:
    async with uow:
        if await uow.stock.get(query.product_id) is None:
            raise StockNotFound()
        return await uow.stock.movements(query.product_id, limit=query.limit)


async def list_low_stock(query: ListLowStock, uow: UnitOfWork) -> list[Stock]:
    async with uow:
        return await uow.stock.below_threshold()


async def low_stock_report(query: LowStockReport, uow: UnitOfWork) -> list[LowStockLine]:
    async with uow:
        stocks = await uow.stock.below_threshold()
        products = await uow.products.get_many([stock.product_id for stock in stocks])
    lines = [
        LowStockLine(stock.product_id, product.sku, product.name, stock.available,
                     stock.low_stock_threshold)
        for stock in stocks
        if (product := products.get(stock.product_id)) is not None and product.active
    ]
    return sorted(lines, key=lambda line: (line.available, line.sku))


COMMAND_HANDLERS = {
    AdjustStock: adjust_stock,
    AdjustStockBySku: adjust_stock_by_sku,
    LowStockReport: low_stock_report,
    SetLowStockThreshold: set_low_stock_threshold,
    GetStock: get_stock,
    ListMovements: list_movements,
    ListLowStock: list_low_stock,
}
EVENT_HANDLERS = {
    ProductCreated: [open_stock],
    OrderCreated: [reserve_stock],
    OrderConfirmed: [commit_reservation],
    PaymentFailed: [release_after_payment_failure],
    OrderCancelled: [release_after_cancellation],
    OrderShipped: [ship_reservation],
    OrderDelivered: [deliver_reservation],
}
