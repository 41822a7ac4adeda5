"""SMS through a real webhook provider on loopback: retried with backoff by the worker loop as the
test's clock moves, delivered once, or given up after the last attempt; the order never waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from notification_support import (
    WebhookProvider,
    a_customer,
    a_product,
    eventually,
    notifications_of,
    place_order,
    webhook_server,
)

from adapters.system import ManualClock
from commerce_core.notifications.commands import SetNotificationPreferences
from commerce_core.notifications.model import RETRY_POLICY, Notification, NotificationStatus
from commerce_core.ordering.model import OrderStatus
from entrypoints.container import Container, build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings
from entrypoints.workers import run_notification_retries

PHONE = "+447700900123"


@asynccontextmanager
async def shop_with_sms_provider(
    provider: WebhookProvider, container_for: Callable[[Settings], Container]
) -> AsyncIterator[Shop]:
    async with webhook_server(provider) as url:
        settings = Settings(payment_timeout_s=0.05, sms_webhook_url=url)
        async with open_shop(container=container_for(settings)) as shop:
            yield shop


@pytest.fixture
def container_for(clock: ManualClock, container: Container) -> Callable[[Settings], Container]:
    hasher = container.hasher()  # the cheap one conftest set up

    def build(settings: Settings) -> Container:
        built = build_container(settings)
        built.clock.override(clock)
        built.hasher.override(hasher)
        return built

    return build


@asynccontextmanager
async def retry_loop(shop: Shop) -> AsyncIterator[None]:
    task = asyncio.create_task(run_notification_retries(shop.bus, interval_s=0.005))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def sms_customer_orders(shop: Shop) -> tuple[str, Notification]:
    ana = await a_customer(shop, name="Ana")
    await shop.handle(SetNotificationPreferences(user_id=ana.id, channels=("sms",), phone=PHONE))
    order = await place_order(shop, ana, await a_product(shop))
    assert order.status is OrderStatus.CONFIRMED
    [record] = notifications_of(shop, "order_confirmed")
    return order.id, record


def record_of(shop: Shop, notification_id: str) -> Notification:
    stored: Notification = shop.container.memory_store().notifications[notification_id]
    return stored


async def settle() -> None:
    """Gives the retry loop several rounds in which nothing may happen."""
    await asyncio.sleep(0.05)


async def test_a_provider_failing_three_times_gets_the_sms_once(
    clock: ManualClock, container_for: Callable[[Settings], Container]
) -> None:
    provider = WebhookProvider(failures=3)
    async with shop_with_sms_provider(provider, container_for) as shop:
        order_id, record = await sms_customer_orders(shop)
        assert (record.status, record.attempts) == (NotificationStatus.FAILED, 1)
        assert record.next_attempt_at == clock.now() + timedelta(seconds=30)

        async with retry_loop(shop):
            await settle()
            assert len(provider.requests) == 1  # not due before its backoff is over
            for attempt, backoff in ((2, timedelta(seconds=30)), (3, timedelta(minutes=2)),
                                     (4, timedelta(minutes=8))):
                clock.advance(backoff)
                await eventually(lambda a=attempt: record_of(shop, record.id).attempts == a)
            clock.advance(timedelta(days=1))
            await settle()

        stored = record_of(shop, record.id)
        assert (stored.status, stored.attempts) == (NotificationStatus.SENT, 4)
        assert not stored.gave_up
        assert len(provider.requests) == 4
        [(headers, payload)] = provider.accepted
        assert headers["idempotency-key"] == record.id
        assert payload == {
            "notification_id": record.id,
            "channel": "sms",
            "recipient": PHONE,
            "subject": f"Order {order_id} confirmed",
            "body": f"Order {order_id} confirmed: 10.00 EUR received.",
        }
        assert {h["idempotency-key"] for h, _ in provider.requests} == {record.id}


async def test_a_provider_that_always_fails_is_given_up_and_the_order_stands(
    clock: ManualClock, container_for: Callable[[Settings], Container]
) -> None:
    provider = WebhookProvider(failures=None)
    async with shop_with_sms_provider(provider, container_for) as shop:
        order_id, record = await sms_customer_orders(shop)

        async with retry_loop(shop):
            for attempt in range(2, RETRY_POLICY.max_attempts + 1):
                clock.advance(RETRY_POLICY.delay_after(attempt - 1))
                # The outcome, not the request: the next backoff counts from its record.
                await eventually(lambda a=attempt: record_of(shop, record.id).attempts == a)
            clock.advance(timedelta(days=30))
            await settle()

        stored = record_of(shop, record.id)
        assert (stored.status, stored.attempts, stored.gave_up, stored.next_attempt_at) == (
            NotificationStatus.FAILED, RETRY_POLICY.max_attempts, True, None)
        assert "503" in (stored.last_error or "")
        assert len(provider.requests) == RETRY_POLICY.max_attempts
        assert provider.accepted == []
        order = shop.container.memory_store().orders[order_id]
        assert order.status is OrderStatus.CONFIRMED


def test_the_backoff_grows_fourfold_from_thirty_seconds() -> None:
    delays = [RETRY_POLICY.delay_after(n) for n in range(1, RETRY_POLICY.max_attempts)]

    assert delays == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=8),
                      timedelta(minutes=32)]
