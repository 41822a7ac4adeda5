"""The checkout saga end to end on the embedded shop: every outcome, its compensation, and expiry
driven by the test's clock (never by sleeping)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import (
    EventLog,
    a_customer,
    a_product,
    gateway,
    movements_of,
    notifier,
    order_now,
    place_order,
    stock_of,
)

from adapters.memory.store import MemoryStore
from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.identity.events import UserRegistered
from commerce_core.inventory.events import InventoryReleased
from commerce_core.inventory.model import ReservationStatus
from commerce_core.ordering.commands import (
    CancelOrder,
    Checkout,
    DeliverOrder,
    ExpireReservations,
    ShipOrder,
)
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.ordering.model import OrderStatus
from commerce_core.payments.model import PaymentStatus
from commerce_core.shared.errors import IllegalTransition
from entrypoints.embedded import Shop
from entrypoints.settings import Settings


def store(shop: Shop) -> MemoryStore:
    memory: MemoryStore = shop.container.memory_store()
    return memory


def reservation_status(shop: Shop, order_id: str) -> ReservationStatus:
    return store(shop).reservations[order_id].status


def payment_status(shop: Shop, order_id: str) -> PaymentStatus:
    return store(shop).payments[order_id].status


async def assert_ledger_balances(shop: Shop, product_id: str) -> None:
    stock = await stock_of(shop, product_id)
    movements = await movements_of(shop, product_id)
    assert stock.on_hand == sum(m.delta_on_hand for m in movements)
    assert stock.reserved == sum(m.delta_reserved for m in movements)
    assert stock.available >= 0


async def test_approved_payment_confirms_commits_stock_and_notifies(shop: Shop) -> None:
    ana = await a_customer(shop, name="Ana")
    widget = await a_product(shop, stock=10, price="12.50")
    log = EventLog(shop)

    order = await place_order(shop, ana, [(widget, 3)], token="tok_visa")

    assert order.status is OrderStatus.CONFIRMED
    assert order.cancel_reason is None
    assert reservation_status(shop, order.id) is ReservationStatus.COMMITTED
    assert payment_status(shop, order.id) is PaymentStatus.CAPTURED
    stock = await stock_of(shop, widget.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (7, 0, 7)
    await assert_ledger_balances(shop, widget.id)
    assert gateway(shop).captures[order.id] == 1
    assert str(gateway(shop).captured[order.id].amount) == "37.50"
    [confirmation] = [m for m in notifier(shop).to(ana.email) if m.subject.endswith("confirmed")]
    assert order.id in confirmation.subject
    assert "37.50 EUR" in confirmation.body
    assert len(log.of(OrderConfirmed)) == 1


async def test_declined_payment_cancels_and_returns_the_stock(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=10)
    before = await stock_of(shop, widget.id)
    log = EventLog(shop)

    order = await place_order(shop, ana, [(widget, 4)], token="tok_chargeDeclined")

    assert order.status is OrderStatus.CANCELLED
    assert order.cancel_reason == "payment_declined"
    assert reservation_status(shop, order.id) is ReservationStatus.RELEASED
    assert payment_status(shop, order.id) is PaymentStatus.FAILED
    after = await stock_of(shop, widget.id)
    assert (after.on_hand, after.reserved, after.available) == (
        before.on_hand, 0, before.available,
    )
    await assert_ledger_balances(shop, widget.id)
    assert gateway(shop).captured == {}
    assert [e.reason for e in log.of(InventoryReleased)] == ["payment_failed"]
    assert len(log.of(OrderCancelled)) == 1


async def test_out_of_stock_cancels_without_charging(shop: Shop) -> None:
    ana, bob = await a_customer(shop), await a_customer(shop)
    widget = await a_product(shop, stock=2)
    # Bob fills his cart while two units are available; Ana buys them before he checks out.
    await shop.handle(AddToCart(bob.id, widget.id, 1))
    first = await place_order(shop, ana, [(widget, 2)])
    assert first.status is OrderStatus.CONFIRMED

    placed = await shop.handle(Checkout(user_id=bob.id, payment_token="tok_visa"))
    order = await order_now(shop, placed.id)

    assert order.status is OrderStatus.CANCELLED
    assert order.cancel_reason == "out_of_stock"
    assert reservation_status(shop, order.id) is ReservationStatus.FAILED
    assert gateway(shop).charge_calls[order.id] == 0
    assert order.id not in gateway(shop).captured
    stock = await stock_of(shop, widget.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (0, 0, 0)
    await assert_ledger_balances(shop, widget.id)


async def test_unanswered_payment_stays_pending_until_the_reservation_expires(
    shop: Shop, clock: ManualClock, settings: Settings
) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=5)
    log = EventLog(shop)

    order = await place_order(shop, ana, [(widget, 2)], token="tok_timeout")

    assert order.status is OrderStatus.PENDING
    assert payment_status(shop, order.id) is PaymentStatus.CHARGING
    held = await stock_of(shop, widget.id)
    assert (held.on_hand, held.reserved, held.available) == (5, 2, 3)

    # Not yet overdue: the sweeper leaves it alone.
    clock.advance(timedelta(seconds=settings.reservation_ttl_s - 1))
    assert await shop.handle(ExpireReservations()) == 0
    assert (await order_now(shop, order.id)).status is OrderStatus.PENDING

    clock.advance(timedelta(seconds=2))
    assert await shop.handle(ExpireReservations()) == 1

    expired = await order_now(shop, order.id)
    assert expired.status is OrderStatus.CANCELLED
    assert expired.cancel_reason == "reservation_expired"
    assert reservation_status(shop, order.id) is ReservationStatus.RELEASED
    assert payment_status(shop, order.id) is PaymentStatus.VOIDED
    stock = await stock_of(shop, widget.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 0, 5)

    # A second sweep finds nothing: the stock came back exactly once.
    assert await shop.handle(ExpireReservations()) == 0
    assert (await stock_of(shop, widget.id)).available == 5
    assert [e.reason for e in log.of(InventoryReleased)] == ["expired"]
    assert len(log.of(OrderCancelled)) == 1
    releases = [m for m in await movements_of(shop, widget.id) if m.reference == order.id]
    assert [(m.delta_on_hand, m.delta_reserved, m.reason) for m in releases] == [
        (0, 2, "order"),
        (0, -2, "expiry"),
    ]
    await assert_ledger_balances(shop, widget.id)
    assert gateway(shop).captured == {}


async def test_ship_then_deliver(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=3)
    order = await place_order(shop, ana, [(widget, 1)])

    shipped = await shop.handle(ShipOrder(order.id))
    assert shipped.status is OrderStatus.SHIPPED
    assert reservation_status(shop, order.id) is ReservationStatus.SHIPPED

    delivered = await shop.handle(DeliverOrder(order.id))
    assert delivered.status is OrderStatus.DELIVERED
    assert reservation_status(shop, order.id) is ReservationStatus.DELIVERED
    stock = await stock_of(shop, widget.id)
    assert (stock.on_hand, stock.reserved) == (2, 0)
    await assert_ledger_balances(shop, widget.id)


async def test_delivering_an_unshipped_order_is_refused(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=3)
    order = await place_order(shop, ana, [(widget, 1)])

    with pytest.raises(IllegalTransition):
        await shop.handle(DeliverOrder(order.id))
    assert (await order_now(shop, order.id)).status is OrderStatus.CONFIRMED


async def test_customer_cancel_before_shipping_returns_stock_and_refunds(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=6)
    order = await place_order(shop, ana, [(widget, 2)])
    assert (await stock_of(shop, widget.id)).on_hand == 4

    cancelled = await shop.handle(CancelOrder(order_id=order.id, requested_by=ana.id))

    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.cancel_reason == "customer_cancelled"
    assert reservation_status(shop, order.id) is ReservationStatus.RELEASED
    assert payment_status(shop, order.id) is PaymentStatus.REFUNDED
    assert order.id in gateway(shop).refunded
    stock = await stock_of(shop, widget.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (6, 0, 6)
    await assert_ledger_balances(shop, widget.id)
    assert any("cancelled" in m.subject for m in notifier(shop).to(ana.email))


async def test_customer_cancel_of_a_pending_order_voids_the_payment(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=6)
    order = await place_order(shop, ana, [(widget, 2)], token="tok_timeout")

    await shop.handle(CancelOrder(order_id=order.id, requested_by=ana.id))

    assert payment_status(shop, order.id) is PaymentStatus.VOIDED
    assert (await stock_of(shop, widget.id)).available == 6
    await assert_ledger_balances(shop, widget.id)


async def test_cancel_after_shipping_is_refused(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=6)
    order = await place_order(shop, ana, [(widget, 2)])
    await shop.handle(ShipOrder(order.id))

    with pytest.raises(IllegalTransition):
        await shop.handle(CancelOrder(order_id=order.id, requested_by=ana.id))

    assert (await order_now(shop, order.id)).status is OrderStatus.SHIPPED
    assert reservation_status(shop, order.id) is ReservationStatus.SHIPPED
    assert order.id not in gateway(shop).refunded
    assert (await stock_of(shop, widget.id)).on_hand == 4


async def test_registration_sends_a_welcome(shop: Shop) -> None:
    log = EventLog(shop)
    ana = await a_customer(shop, name="Ana")

    [registered] = log.of(UserRegistered)
    assert registered.user_id == ana.id
    [welcome] = notifier(shop).to(ana.email)
    assert welcome.subject == "Welcome!"
    assert "Hello Ana" in welcome.body
