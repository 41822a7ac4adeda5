import asyncio
import itertools
from datetime import timedelta

import pytest
from factories import EventLog, a_customer, a_product, gateway, order_now, place_order, stock_of

from adapters.payments.sandbox import SandboxGateway
from commerce_core.cart.commands import AddToCart
from commerce_core.inventory.events import InventoryReleased, InventoryReserved
from commerce_core.inventory.model import ReservationStatus
from commerce_core.ordering.commands import CancelOrder, Checkout, ExpireReservations
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed, OrderCreated
from commerce_core.ordering.model import OrderStatus
from commerce_core.payments.events import PaymentFailed, PaymentProcessed, PaymentRefunded
from commerce_core.payments.model import Payment, PaymentStatus
from commerce_core.payments.ports import ChargeRequest, ChargeResult
from commerce_core.shared.errors import IllegalTransition
from commerce_core.shared.money import Money
from entrypoints.embedded import open_shop

P = PaymentStatus


async def _payment(shop, order_id):
    async with shop.container.uow() as uow:
        return await uow.payments.get(order_id)


async def _reservation(shop, order_id):
    async with shop.container.uow() as uow:
        return await uow.reservations.get(order_id)


# -- the saga's payment outcomes ---------------------------------------------------------------


async def test_an_approved_card_confirms_the_order_and_captures_once(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, price="2.50", stock=10)
    log = EventLog(shop)

    order = await place_order(shop, customer, [(product, 4)], token="tok_visa")

    assert order.status is OrderStatus.CONFIRMED
    payment = await _payment(shop, order.id)
    assert (payment.status, payment.amount, payment.reference) == (
        P.CAPTURED, Money.of("10.00", "EUR"), f"ch_{order.id}"
    )
    assert gateway(shop).captures[order.id] == 1
    [processed] = log.of(PaymentProcessed)
    assert (processed.order_id, processed.amount, processed.currency) == (
        order.id, Money.of("10.00", "EUR").amount, "EUR"
    )
    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved) == (6, 0)
    assert (await _reservation(shop, order.id)).status is ReservationStatus.COMMITTED


@pytest.mark.parametrize(
    ("token", "reason"),
    [("tok_chargeDeclined", "card_declined"), ("tok_unknown", "unknown_payment_method")],
)
async def test_a_declined_card_cancels_the_order_and_releases_the_stock(shop, token, reason):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    log = EventLog(shop)

    order = await place_order(shop, customer, [(product, 4)], token=token)

    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "payment_declined")
    payment = await _payment(shop, order.id)
    assert (payment.status, payment.failure_reason) == (P.FAILED, reason)
    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 0, 10)
    assert (await _reservation(shop, order.id)).status is ReservationStatus.RELEASED
    assert [e.reason for e in log.of(PaymentFailed)] == [reason]
    assert [e.reason for e in log.of(InventoryReleased)] == ["payment_failed"]
    assert order.id not in gateway(shop).captured
    assert log.of(OrderConfirmed) == []


async def test_a_gateway_that_never_answers_leaves_the_payment_charging(shop, clock, settings):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)

    order = await place_order(shop, customer, [(product, 1)], token="tok_timeout")

    assert order.status is OrderStatus.PENDING
    assert (await _payment(shop, order.id)).status is P.CHARGING
    clock.advance(settings.reservation_ttl)
    await shop.handle(ExpireReservations())
    assert (await _payment(shop, order.id)).status is P.VOIDED
    assert gateway(shop).refunded == {}


async def test_payment_processed_after_the_order_was_cancelled_is_refunded(shop):
    """Events delivered one by one: the charge lands, the customer cancels, and only then does
    PaymentProcessed reach ordering. The order stays cancelled and the money goes back."""
    customer = await a_customer(shop)
    product = await a_product(shop, price="5.00", stock=10)
    await shop.handle(AddToCart(customer.id, product.id, 2))
    shop.bus.dispatch_inline = False

    placed = await shop.handle(Checkout(user_id=customer.id, payment_token="tok_visa"))
    [created] = await _pending(shop, OrderCreated)
    [reserved] = _only(await shop.bus.deliver(created), InventoryReserved)
    [processed] = _only(await shop.bus.deliver(reserved), PaymentProcessed)
    await shop.handle(CancelOrder(order_id=placed.id, requested_by=customer.id))
    [cancelled] = await _pending(shop, OrderCancelled)
    await shop.bus.dispatch([cancelled])
    await shop.bus.dispatch([processed])

    order = await order_now(shop, placed.id)
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "customer_cancelled")
    assert gateway(shop).refunded == {placed.id: Money.of("10.00", "EUR")}
    assert (await _payment(shop, placed.id)).status is P.REFUNDED
    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved) == (10, 0)


class GatedGateway(SandboxGateway):
    """Answers only when the test opens the gate, so the order can change meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.entered.set()
        await self.gate.wait()
        return await super().charge(request)


@pytest.fixture
async def gated(container):
    gated_gateway = GatedGateway()
    container.gateway.override(gated_gateway)
    container.payment_timeout.override(timedelta(seconds=30))
    async with open_shop(container=container) as shop:
        yield shop, gated_gateway


async def test_a_charge_that_lands_after_the_order_was_cancelled_is_refunded(gated):
    shop, gated_gateway = gated
    customer = await a_customer(shop)
    product = await a_product(shop, price="5.00", stock=10)
    await shop.handle(AddToCart(customer.id, product.id, 1))
    log = EventLog(shop)

    checkout = asyncio.create_task(
        shop.handle(Checkout(user_id=customer.id, payment_token="tok_visa"))
    )
    await asyncio.wait_for(gated_gateway.entered.wait(), timeout=5)
    [created] = log.of(OrderCreated)
    await shop.handle(CancelOrder(order_id=created.order_id, requested_by=customer.id))
    assert (await _payment(shop, created.order_id)).status is P.VOIDED
    gated_gateway.gate.set()
    await checkout

    order = await order_now(shop, created.order_id)
    assert order.status is OrderStatus.CANCELLED
    assert (await _payment(shop, created.order_id)).status is P.REFUNDED
    assert gated_gateway.refunded == {created.order_id: Money.of("5.00", "EUR")}
    assert len(log.of(PaymentRefunded)) == 1
    assert log.of(OrderConfirmed) == []
    assert (await stock_of(shop, product.id)).available == 10


async def test_a_repeated_inventory_reserved_charges_once(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    log = EventLog(shop)
    order = await place_order(shop, customer, [(product, 1)])
    [reserved] = log.of(InventoryReserved)

    await shop.bus.dispatch([reserved])

    assert gateway(shop).charge_calls[order.id] == 1
    assert gateway(shop).charged_twice() == []
    assert (await order_now(shop, order.id)).status is OrderStatus.CONFIRMED


# -- the payment aggregate ---------------------------------------------------------------------

PAYMENT_LEGAL = {
    (P.AWAITING_STOCK, P.CHARGING),
    (P.AWAITING_STOCK, P.VOIDED),
    (P.CHARGING, P.CAPTURED),
    (P.CHARGING, P.FAILED),
    (P.CHARGING, P.VOIDED),
    (P.CAPTURED, P.REFUNDED),
    (P.VOIDED, P.REFUNDED),
    (P.VOIDED, P.FAILED),
}
PAYMENT_MOVE = {
    P.CHARGING: lambda p, now: p.start_charge(now),
    P.CAPTURED: lambda p, now: p.captured("ch_1", now),
    P.FAILED: lambda p, now: p.declined("card_declined", now),
    P.VOIDED: lambda p, now: p.void(now),
    P.REFUNDED: lambda p, now: p.refunded(now),
}


def _a_payment(clock, status):
    payment = Payment.intend(order_id="o1", user_id="u1", amount=Money.of("3.00", "EUR"),
                             method_token="tok_visa", now=clock.now())
    payment.status = status
    return payment


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(P, PAYMENT_MOVE)), ids=lambda s: s.value
)
def test_payment_state_machine_matrix(clock, current, target):
    payment = _a_payment(clock, current)

    if (current, target) in PAYMENT_LEGAL:
        PAYMENT_MOVE[target](payment, clock.now())
        assert payment.status is target
    else:
        with pytest.raises(IllegalTransition):
            PAYMENT_MOVE[target](payment, clock.now())
        assert payment.status is current


def test_a_decline_is_announced_only_for_a_charge_in_flight(clock):
    charging, voided = _a_payment(clock, P.CHARGING), _a_payment(clock, P.VOIDED)

    charging.declined("card_declined", clock.now())
    voided.declined("card_declined", clock.now())

    assert [type(e) for e in charging.pull_events()] == [PaymentFailed]
    assert voided.pull_events() == []  # the order is cancelled already: nothing to compensate


def _only(events, event_type):
    return [e for e in events[0] if isinstance(e, event_type)]


async def _pending(shop, event_type):
    events = await shop.container.outbox().pending(limit=1000, min_age_s=0)
    return [e for e in events if isinstance(e, event_type)]
