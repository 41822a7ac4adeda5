import pytest
from factories import EventLog, a_customer, a_product, notifier, place_order

from adapters.memory.notifier import RecordingNotifier
from commerce_core.identity.events import UserRegistered
from commerce_core.notifications.model import NotificationStatus
from commerce_core.ordering.commands import CancelOrder
from commerce_core.ordering.events import OrderConfirmed
from commerce_core.ordering.model import OrderStatus
from entrypoints.embedded import open_shop


async def _notifications(shop, user_id):
    async with shop.container.uow() as uow:
        stored = await uow.notifications.for_user(user_id)
    return {n.template: n for n in stored}


async def test_registration_sends_a_welcome(shop):
    customer = await a_customer(shop, name="Ana", email="ana@example.com")

    [welcome] = notifier(shop).to("ana@example.com")
    assert welcome.subject == "Welcome!"
    assert "Hello Ana" in welcome.body
    stored = (await _notifications(shop, customer.id))["welcome"]
    assert (stored.status, stored.attempts, stored.channel) == (NotificationStatus.SENT, 1, "email")
    assert stored.id == welcome.notification_id


async def test_a_confirmed_order_sends_a_confirmation(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, price="4.00")

    order = await place_order(shop, customer, [(product, 2)])

    messages = notifier(shop).to(customer.email)
    assert [m.subject for m in messages] == ["Welcome!", f"Order {order.id} confirmed"]
    assert "8.00 EUR" in messages[-1].body
    templates = await _notifications(shop, customer.id)
    assert templates["order_confirmed"].status is NotificationStatus.SENT


async def test_a_cancelled_order_sends_a_cancellation_with_the_reason(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)

    order = await place_order(shop, customer, [(product, 1)], token="tok_chargeDeclined")

    cancellation = notifier(shop).to(customer.email)[-1]
    assert cancellation.subject == f"Order {order.id} cancelled"
    assert "the payment was declined" in cancellation.body
    assert "order_confirmed" not in await _notifications(shop, customer.id)


async def test_a_customer_cancel_sends_a_cancellation_after_the_confirmation(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    order = await place_order(shop, customer, [(product, 1)])

    await shop.handle(CancelOrder(order_id=order.id, requested_by=customer.id))

    subjects = [m.subject for m in notifier(shop).to(customer.email)]
    assert subjects == ["Welcome!", f"Order {order.id} confirmed", f"Order {order.id} cancelled"]
    assert "you cancelled it" in notifier(shop).sent[-1].body


async def test_the_same_event_delivered_twice_notifies_once(shop):
    log = EventLog(shop)
    customer = await a_customer(shop)
    [registered] = log.of(UserRegistered)

    await shop.bus.dispatch([registered])

    assert len(notifier(shop).to(customer.email)) == 1


async def test_an_event_for_an_unknown_user_notifies_nobody(shop, clock):
    await shop.bus.dispatch([OrderConfirmed(
        occurred_at=clock.now(), correlation_id="o1", order_id="o1", user_id="ghost",
        total=1, currency="EUR",
    )])

    assert notifier(shop).sent == []


@pytest.fixture
async def flaky_shop(container):
    # Fails twice: the welcome and then the order confirmation.
    container.notifier.override(RecordingNotifier(fail_times=2))
    async with open_shop(container=container) as shop:
        yield shop


async def test_a_failing_notifier_is_recorded_and_does_not_stop_the_order(flaky_shop):
    shop = flaky_shop
    customer = await a_customer(shop)
    product = await a_product(shop)

    order = await place_order(shop, customer, [(product, 1)])

    assert order.status is OrderStatus.CONFIRMED
    stored = await _notifications(shop, customer.id)
    for template in ("welcome", "order_confirmed"):
        assert stored[template].status is NotificationStatus.FAILED
        assert stored[template].attempts == 1
        assert "ConnectionError" in stored[template].last_error
    assert notifier(shop).sent == []
    assert await shop.container.outbox().backlog() == 0  # nothing left to retry on the bus

    await shop.handle(CancelOrder(order_id=order.id, requested_by=customer.id))
    assert (await _notifications(shop, customer.id))["order_cancelled"].status is (
        NotificationStatus.SENT
    )
