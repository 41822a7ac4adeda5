"""The checkout saga end to end on each backend: same outcomes, same stock, same movements."""

from __future__ import annotations

from decimal import Decimal

from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct, GetProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.inventory.commands import GetStock, ListMovements
from commerce_core.ordering.commands import CancelOrder, Checkout, GetOrder, ListOrders
from commerce_core.ordering.model import OrderStatus
from entrypoints.embedded import Shop


async def _setup(shop: Shop, stock: int = 5) -> tuple[str, str]:
    user = await shop.handle(RegisterUser("ana@example.com", "correct horse battery", "Ana"))
    product = await shop.handle(CreateProduct(
        sku="W-1", name="Widget", description="", category="tools", price=Decimal("12.50"),
        currency="EUR", stock=stock,
    ))
    return user.id, product.id


async def _checkout(shop: Shop, user_id: str, product_id: str, qty: int, token: str) -> str:
    await shop.handle(AddToCart(user_id, product_id, qty))
    order = await shop.handle(Checkout(user_id=user_id, payment_token=token))
    return str(order.id)


async def _state(shop: Shop, product_id: str) -> tuple[int, int, list[tuple[int, int, str]]]:
    stock = await shop.handle(GetStock(product_id))
    movements = await shop.handle(ListMovements(product_id))
    return stock.on_hand, stock.reserved, [
        (m.delta_on_hand, m.delta_reserved, m.reason.value) for m in movements]


async def test_a_paid_checkout_confirms_and_takes_the_stock(shop: Shop) -> None:
    user_id, product_id = await _setup(shop)
    order_id = await _checkout(shop, user_id, product_id, 2, "tok_visa")
    order = await shop.handle(GetOrder(order_id=order_id, requested_by=user_id))
    assert order.status is OrderStatus.CONFIRMED
    assert order.total.amount == Decimal("25.00")
    assert await _state(shop, product_id) == (3, 0, [
        (5, 0, "admin"), (0, 2, "order"), (-2, -2, "order")])
    product = await shop.handle(GetProduct(product_id))
    assert product.stock_available == 3
    orders, total = await shop.handle(ListOrders(user_id=user_id))
    assert total == 1
    assert orders[0].id == order_id
    assert await shop.container.outbox().backlog() == 0


async def test_a_declined_payment_cancels_and_returns_the_stock(shop: Shop) -> None:
    user_id, product_id = await _setup(shop)
    order_id = await _checkout(shop, user_id, product_id, 2, "tok_chargeDeclined")
    order = await shop.handle(GetOrder(order_id=order_id, requested_by=user_id))
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "payment_declined")
    assert await _state(shop, product_id) == (5, 0, [
        (5, 0, "admin"), (0, 2, "order"), (0, -2, "order")])


async def test_too_little_stock_cancels_without_touching_it(shop: Shop) -> None:
    first_id, product_id = await _setup(shop, stock=3)
    second = await shop.handle(RegisterUser("bo@example.com", "correct horse battery", "Bo"))
    await shop.handle(AddToCart(second.id, product_id, 2))  # both carts fit the shelf
    await _checkout(shop, first_id, product_id, 2, "tok_visa")
    order = await shop.handle(Checkout(user_id=second.id, payment_token="tok_visa"))
    order = await shop.handle(GetOrder(order_id=order.id, requested_by=second.id))
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "out_of_stock")
    assert await _state(shop, product_id) == (1, 0, [
        (3, 0, "admin"), (0, 2, "order"), (-2, -2, "order")])


async def test_cancelling_a_confirmed_order_restocks_once(shop: Shop) -> None:
    user_id, product_id = await _setup(shop)
    order_id = await _checkout(shop, user_id, product_id, 2, "tok_visa")
    await shop.handle(CancelOrder(order_id=order_id, requested_by=user_id))
    assert await _state(shop, product_id) == (5, 0, [
        (5, 0, "admin"), (0, 2, "order"), (-2, -2, "order"), (2, 0, "order")])
