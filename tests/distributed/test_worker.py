"""The checkout saga in distributed mode, in one process: commands commit to the outbox, a
``Worker`` relays them through RabbitMQ and consumes them, carts and tokens live in Redis, and the
outcomes come back over Redis pub/sub. Same outcomes as the embedded mode."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from adapters.rabbitmq.topology import Topology, subscriptions
from adapters.redis.carts import RedisCartRepository
from adapters.security.passwords import Argon2PasswordHasher
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.inventory.commands import GetStock
from commerce_core.ordering.commands import Checkout, GetOrder
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.ordering.model import OrderStatus
from commerce_core.shared.errors import StockNotFound
from commerce_core.shared.events import Event
from entrypoints.container import Container, build_container
from entrypoints.distributed_profile import backend_checks
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings
from entrypoints.worker import OUTCOMES_CONSUMER, Worker

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("COMMERCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("COMMERCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def distributed(
    monkeypatch: pytest.MonkeyPatch, redis_prefix: str, amqp_prefix: str, amqp_connection: object
) -> Container:
    monkeypatch.setenv("COMMERCE_REDIS_PREFIX", redis_prefix)
    monkeypatch.setenv("COMMERCE_AMQP_PREFIX", amqp_prefix)
    monkeypatch.setenv("COMMERCE_AMQP_MAX_DELIVERIES", "5")
    settings = Settings(redis_url=REDIS_URL, amqp_url=AMQP_URL, payment_timeout_s=0.05,
                        sweep_interval_s=0.5)
    container = build_container(settings)
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    return container


@pytest.fixture
async def running(distributed: Container, amqp_connection: object,
                  amqp_prefix: str) -> AsyncIterator[tuple[Shop, Worker, list[Event]]]:
    async with open_shop(container=distributed) as shop:
        worker = Worker(distributed)
        await worker.start()
        outcomes: list[Event] = []
        feed = distributed.outcome_feed()  # type: ignore[attr-defined]
        stop_feed = await feed.start(outcomes.append)
        await asyncio.wait_for(feed.subscribed.wait(), 5)
        try:
            yield shop, worker, outcomes
        finally:
            await stop_feed()
            await worker.stop()
            channel = await amqp_connection.channel()  # type: ignore[attr-defined]
            topology = Topology(amqp_prefix)
            names = [*subscriptions(shop.bus), OUTCOMES_CONSUMER]
            await topology.delete(channel, [topology.queue_name(n) for n in names])
            await channel.close()


async def eventually(check: Callable[[], object], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():  # type: ignore[misc]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_the_profile_swaps_in_redis_and_rabbitmq(distributed: Container) -> None:
    assert isinstance(distributed.carts(), RedisCartRepository)
    assert distributed.bus().dispatch_inline is False
    checks = backend_checks(distributed)
    assert set(checks) == {"redis", "rabbitmq"}
    for check in checks.values():
        await check()
    await distributed.amqp_probe().close()  # type: ignore[attr-defined]
    await distributed.redis().aclose()  # type: ignore[attr-defined]


async def test_the_saga_runs_through_the_broker_and_outcomes_are_pushed(
    running: tuple[Shop, Worker, list[Event]],
) -> None:
    shop, worker, outcomes = running
    product = await shop.handle(CreateProduct(
        sku="SKU-D1", name="Widget", description="d", category="tools", price=Decimal("10.00"),
        currency="EUR", stock=3,
    ))

    async def stock_opened() -> bool:  # ProductCreated travels through the broker first
        try:
            return bool(await shop.handle(GetStock(product.id)))
        except StockNotFound:
            return False

    await eventually(stock_opened)
    orders = []
    for i in range(5):
        user = await shop.handle(RegisterUser(f"d{i}@example.com", "correct horse", f"U{i}"))
        await shop.handle(AddToCart(user.id, product.id, 1))
        orders.append(await shop.handle(Checkout(user_id=user.id, payment_token="tok_visa")))
    assert all(o.status is OrderStatus.PENDING for o in orders)  # nothing ran inline

    async def all_pushed() -> bool:
        return len({e.order_id for e in outcomes}) == 5  # type: ignore[attr-defined]

    await eventually(all_pushed)
    final = [
        await shop.handle(GetOrder(order_id=o.id, requested_by="", as_admin=True)) for o in orders
    ]
    statuses = sorted(o.status.value for o in final)
    assert statuses == ["CANCELLED", "CANCELLED", "CONFIRMED", "CONFIRMED", "CONFIRMED"]
    pushed = {e.order_id: type(e) for e in outcomes}  # type: ignore[attr-defined]
    for order in final:
        expected = OrderConfirmed if order.status is OrderStatus.CONFIRMED else OrderCancelled
        assert pushed[order.id] is expected

    async def settled() -> bool:
        stock = await shop.handle(GetStock(product.id))
        return bool(stock.on_hand == 0 and stock.reserved == 0)

    await eventually(settled)  # committed reservations: OrderConfirmed consumed by inventory

    async def relayed() -> bool:
        return bool(await shop.container.outbox().backlog() == 0)

    await eventually(relayed)  # the last events (stock levels) leave the outbox too
    assert worker.consumers is not None
    assert worker.consumers.handled > 0
