"""Returns on every backend: stored and found by order, racing requests decided one at a time,
a received return restocks once and refunds once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.inventory.commands import GetStock
from commerce_core.ordering.commands import Checkout, DeliverOrder, ShipOrder
from commerce_core.ordering.return_commands import (
    GetOrderReturns,
    ListReturns,
    ReceiveReturn,
    RequestReturn,
)
from commerce_core.ordering.returns import ReturnAlreadyReceived, ReturnNotPossible, ReturnStatus
from commerce_core.shared.errors import OrderNotFound
from commerce_core.shared.money import Money
from entrypoints.embedded import Shop


async def _delivered(shop: Shop, quantity: int) -> tuple[str, str, str]:
    user = await shop.handle(RegisterUser("ana@example.com", "correct horse battery", "Ana"))
    product = await shop.handle(
        CreateProduct(
            sku="W-1",
            name="Widget",
            description="",
            category="tools",
            price=Decimal("12.50"),
            currency="EUR",
            stock=10,
        )
    )
    await shop.handle(AddToCart(user.id, product.id, quantity))
    order = await shop.handle(Checkout(user_id=user.id, payment_token="tok_visa"))
    await shop.handle(ShipOrder(order.id))
    await shop.handle(DeliverOrder(order.id))
    return user.id, product.id, order.id


async def test_a_return_round_trips_and_is_found_by_order(shop: Shop) -> None:
    user_id, product_id, order_id = await _delivered(shop, 3)
    asked = await shop.handle(
        RequestReturn(order_id=order_id, requested_by=user_id, items=((product_id, 2),))
    )
    async with shop.container.uow() as uow:
        (found,) = await uow.returns.for_order(order_id)
        assert found is not None
        assert (found.id, found.items, found.refund_amount, found.status, found.version) == (
            asked.id,
            asked.items,
            Money(Decimal("25.00"), "EUR"),
            ReturnStatus.REQUESTED,
            1,
        )
        assert await uow.returns.for_order("nope") == []


async def test_racing_requests_never_return_more_than_was_ordered(shop: Shop) -> None:
    user_id, product_id, order_id = await _delivered(shop, 3)
    command = RequestReturn(order_id=order_id, requested_by=user_id, items=((product_id, 2),))
    outcomes = await asyncio.gather(
        *(shop.handle(command) for _ in range(3)), return_exceptions=True
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, ReturnNotPossible) for o in outcomes if isinstance(o, Exception))


async def test_receiving_restocks_and_refunds_once(shop: Shop) -> None:
    user_id, product_id, order_id = await _delivered(shop, 3)
    asked = await shop.handle(
        RequestReturn(order_id=order_id, requested_by=user_id, items=((product_id, 1),))
    )
    received = await shop.handle(ReceiveReturn(asked.id))
    assert (received.status, received.refunded) == (ReturnStatus.RECEIVED, True)
    with pytest.raises(ReturnAlreadyReceived):
        await shop.handle(ReceiveReturn(asked.id))
    assert (await shop.handle(GetStock(product_id))).on_hand == 8
    gateway = shop.container.gateway()
    assert list(gateway.partial_refunds[order_id].values()) == [Money(Decimal("12.50"), "EUR")]


async def test_returns_are_read_by_order_for_its_owner_and_listed_by_status(
    shop: Shop, clock: ManualClock
) -> None:
    user_id, product_id, order_id = await _delivered(shop, 4)
    asked = []
    for _ in range(3):
        asked.append(
            await shop.handle(
                RequestReturn(order_id=order_id, requested_by=user_id, items=((product_id, 1),))
            )
        )
        clock.advance(timedelta(seconds=1))
    await shop.handle(ReceiveReturn(asked[1].id))

    mine = await shop.handle(GetOrderReturns(order_id=order_id, requested_by=user_id))
    assert [(r.id, r.status) for r in mine] == [
        (asked[0].id, ReturnStatus.REQUESTED),
        (asked[1].id, ReturnStatus.RECEIVED),
        (asked[2].id, ReturnStatus.REQUESTED),
    ]
    with pytest.raises(OrderNotFound):
        await shop.handle(GetOrderReturns(order_id=order_id, requested_by="someone-else"))
    as_admin = await shop.handle(
        GetOrderReturns(order_id=order_id, requested_by="an-admin", as_admin=True)
    )
    assert [r.id for r in as_admin] == [r.id for r in mine]

    requested, total = await shop.handle(ListReturns(status=ReturnStatus.REQUESTED))
    assert ([r.id for r in requested], total) == ([asked[0].id, asked[2].id], 2)
    received, total = await shop.handle(ListReturns(status=ReturnStatus.RECEIVED))
    assert ([(r.id, r.refunded) for r in received], total) == ([(asked[1].id, True)], 1)
    page, total = await shop.handle(ListReturns(page=2, page_size=2))
    assert ([r.id for r in page], total) == ([asked[2].id], 3)
