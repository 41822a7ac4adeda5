"""The saga under concurrency in the embedded mode: a stampede on scarce stock, and reservations
that expire at the very moment their payments succeed."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from factories import a_product

from adapters.memory.store import MemoryStore
from adapters.payments.sandbox import SandboxGateway
from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.identity.model import Email, Role, User
from commerce_core.inventory.events import StockUpdated
from commerce_core.inventory.model import ReservationStatus
from commerce_core.ordering.commands import Checkout, ExpireReservations
from commerce_core.ordering.model import OrderStatus
from commerce_core.payments.model import PaymentStatus
from commerce_core.payments.ports import ChargeRequest, ChargeResult
from commerce_core.shared.events import Event
from entrypoints.container import Container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings


async def many_customers(shop: Shop, count: int) -> list[str]:
    """Customers written straight through a unit of work: hashing passwords is not under test."""
    clock = shop.container.clock()
    uow = shop.container.uow()
    ids = [f"customer-{n:04d}" for n in range(count)]
    async with uow:
        for n, user_id in enumerate(ids):
            uow.users.add(
                User.register(
                    user_id=user_id, email=Email(f"c{n}@example.com"), name=f"C{n}",
                    password_hash="not-used", role=Role.CUSTOMER, now=clock.now(),
                )
            )
        await uow.commit()
    return ids


def ledger_balances(store: MemoryStore, product_id: str) -> None:
    stock = store.stock[product_id]
    movements = store.movements[product_id]
    assert stock.on_hand == sum(m.delta_on_hand for m in movements)
    assert stock.reserved == sum(m.delta_reserved for m in movements)


def net_movements_per_order(store: MemoryStore, product_id: str) -> dict[str, tuple[int, int]]:
    net: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for m in store.movements[product_id]:
        if m.reference in store.orders:
            net[m.reference][0] += m.delta_on_hand
            net[m.reference][1] += m.delta_reserved
    return {order_id: (on_hand, reserved) for order_id, (on_hand, reserved) in net.items()}


async def test_500_customers_race_for_100_units(shop: Shop) -> None:
    store: MemoryStore = shop.container.memory_store()
    gateway: SandboxGateway = shop.container.gateway()
    product = await a_product(shop, stock=100, low_stock_threshold=0)
    customers = await many_customers(shop, 500)
    for user_id in customers:
        await shop.handle(AddToCart(user_id, product.id, 1))

    announced: list[int] = []

    def watch(event: Event) -> None:
        if isinstance(event, StockUpdated):
            announced.append(event.available)

    shop.bus.observe(watch)
    sampled: list[int] = []
    running = True

    async def sample() -> None:
        while running:
            stock = store.stock[product.id]
            sampled.append(stock.available)
            assert stock.reserved >= 0
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    outcomes = await asyncio.gather(
        *(shop.handle(Checkout(user_id=u, payment_token="tok_visa")) for u in customers),
        return_exceptions=True,
    )
    running = False
    await sampler

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    statuses = Counter(order.status for order in store.orders.values())
    assert statuses[OrderStatus.CONFIRMED] == 100
    assert statuses[OrderStatus.CANCELLED] + len(refused) == 400
    assert statuses[OrderStatus.PENDING] == 0
    assert {o.cancel_reason for o in store.orders.values() if o.cancel_reason} <= {"out_of_stock"}
    stock = store.stock[product.id]
    assert (stock.on_hand, stock.reserved, stock.available) == (0, 0, 0)
    ledger_balances(store, product.id)
    # The in-memory stores never suspend, so the sampler gets the loop only between saga steps
    # that await something real (the gateway); it must have run while the stampede went on.
    assert len(sampled) >= 2
    assert min(sampled) >= 0
    assert announced
    assert min(announced) >= 0
    assert gateway.charged_twice() == []
    assert sum(gateway.captures.values()) == 100
    for order in store.orders.values():
        reservation = store.reservations[order.id]
        if order.status is OrderStatus.CONFIRMED:
            assert reservation.status is ReservationStatus.COMMITTED
            assert store.payments[order.id].status is PaymentStatus.CAPTURED
        else:
            assert reservation.status is ReservationStatus.FAILED
            assert gateway.charge_calls[order.id] == 0


class HeldGateway(SandboxGateway):
    """Approves every charge, but only once ``release`` is set; then the answers trickle back
    over a few loop iterations, so they interleave with the sweeper."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.all_waiting = asyncio.Event()
        self.expected = 0
        self.waiting = 0

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.waiting += 1
        if self.waiting == self.expected:
            self.all_waiting.set()
        await self.release.wait()
        for _ in range(int(request.idempotency_key[-3:], 16) % 23):
            await asyncio.sleep(0)
        return await super().charge(request)


@pytest.fixture
def held_container(container: Container) -> Container:
    container.gateway.override(HeldGateway())
    # The gateway is slow, not silent: the saga must wait for it rather than time out.
    container.payment_timeout.override(timedelta(seconds=60))
    return container


@pytest.fixture
async def held_shop(held_container: Container) -> AsyncIterator[Shop]:
    async with open_shop(container=held_container) as shop:
        yield shop


async def test_1000_reservations_expire_while_their_payments_succeed(
    held_shop: Shop, clock: ManualClock, settings: Settings
) -> None:
    shop = held_shop
    store: MemoryStore = shop.container.memory_store()
    gateway: HeldGateway = shop.container.gateway()
    product = await a_product(shop, stock=1000, low_stock_threshold=0)
    customers = await many_customers(shop, 1000)
    for user_id in customers:
        await shop.handle(AddToCart(user_id, product.id, 1))

    gateway.expected = len(customers)
    sagas = [
        asyncio.create_task(shop.handle(Checkout(user_id=u, payment_token="tok_visa")))
        for u in customers
    ]
    await gateway.all_waiting.wait()  # every order reserved, every charge in flight
    assert store.stock[product.id].reserved == 1000

    clock.advance(timedelta(seconds=settings.reservation_ttl_s + 1))

    async def sweep() -> None:
        while not all(s.done() for s in sagas):
            await shop.handle(ExpireReservations(limit=7))
            await asyncio.sleep(0)

    sweeper = asyncio.create_task(sweep())
    gateway.release.set()
    await asyncio.gather(*sagas)
    await sweeper
    await shop.handle(ExpireReservations())  # whatever is still overdue

    outcomes: Counter[OrderStatus] = Counter()
    net = net_movements_per_order(store, product.id)
    for order in store.orders.values():
        reservation = store.reservations[order.id]
        payment = store.payments[order.id]
        outcomes[order.status] += 1
        if order.status is OrderStatus.CONFIRMED:
            assert reservation.status is ReservationStatus.COMMITTED
            assert payment.status is PaymentStatus.CAPTURED
            assert order.id not in gateway.refunded
            assert net[order.id] == (-1, 0)
        else:
            assert order.status is OrderStatus.CANCELLED
            assert order.cancel_reason == "reservation_expired"
            assert reservation.status is ReservationStatus.RELEASED
            # Every charge was approved in the end: a cancelled order's money goes back.
            assert order.id in gateway.captured
            assert order.id in gateway.refunded
            assert payment.status is PaymentStatus.REFUNDED
            assert net[order.id] == (0, 0)
    # Both outcomes happened, so the race was real.
    assert outcomes[OrderStatus.CONFIRMED] > 0
    assert outcomes[OrderStatus.CANCELLED] > 0
    assert sum(outcomes.values()) == 1000

    releases = Counter(
        m.reference for m in store.movements[product.id] if m.delta_reserved < 0
    )
    assert set(releases.values()) == {1}  # each order's units left `reserved` exactly once
    stock = store.stock[product.id]
    confirmed = outcomes[OrderStatus.CONFIRMED]
    assert (stock.on_hand, stock.reserved, stock.available) == (
        1000 - confirmed, 0, 1000 - confirmed,
    )
    ledger_balances(store, product.id)
    assert gateway.charged_twice() == []
