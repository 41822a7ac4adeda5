"""Every event handler is safe to run twice: a redelivered message changes nothing, whether the
inbox catches it (bus.dispatch) or the handler's own state guard does (a direct call)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from factories import a_customer, a_product, place_order

from adapters.memory.store import MemoryStore
from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import UpdateProduct
from commerce_core.handlers import event_handlers
from commerce_core.inventory.commands import AdjustStock
from commerce_core.ordering.commands import (
    CancelOrder,
    Checkout,
    DeliverOrder,
    ExpireReservations,
    ShipOrder,
)
from commerce_core.ordering.model import OrderStatus
from commerce_core.ordering.return_commands import ReceiveReturn, RequestReturn
from commerce_core.shared.events import Event
from entrypoints.container import Container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings

HANDLED_EVENT_TYPES = sorted(event_handlers(), key=lambda t: t.__name__)


async def every_saga_path(shop: Shop, clock: ManualClock, settings: Settings) -> None:
    """Drives the shop through every outcome, so every event type with a handler occurs."""
    ana, bob, cara, dan, eve = [await a_customer(shop, name=n) for n in "ABCDE"]
    widget = await a_product(shop, stock=5, low_stock_threshold=2)
    await shop.handle(AddToCart(bob.id, widget.id, 4))  # goes stale: out of stock later
    await shop.handle(UpdateProduct(product_id=widget.id, description="Now in blue"))

    shipped = await place_order(shop, ana, [(widget, 2)])
    await shop.handle(ShipOrder(shipped.id))
    await shop.handle(DeliverOrder(shipped.id))

    refunded = await place_order(shop, cara, [(widget, 1)])
    assert refunded.status is OrderStatus.CONFIRMED
    await shop.handle(CancelOrder(order_id=refunded.id, requested_by=cara.id))

    declined = await place_order(shop, dan, [(widget, 1)], token="tok_chargeDeclined")
    assert declined.status is OrderStatus.CANCELLED

    await shop.handle(Checkout(user_id=bob.id, payment_token="tok_visa"))

    silent = await place_order(shop, eve, [(widget, 1)], token="tok_timeout")
    assert silent.status is OrderStatus.PENDING
    clock.advance(settings.reservation_ttl + timedelta(seconds=1))
    assert await shop.handle(ExpireReservations()) == 1
    returned = await shop.handle(
        RequestReturn(order_id=shipped.id, requested_by=ana.id, items=((widget.id, 1),))
    )
    await shop.handle(ReceiveReturn(returned.id))
    await shop.handle(AdjustStock(product_id=widget.id, delta=1, reason="supplier"))


def _public(aggregate: object) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}


def state_of(shop: Shop) -> dict[str, Any]:
    """Everything a handler could change, as plain comparable values."""
    store: MemoryStore = shop.container.memory_store()
    gateway = shop.container.gateway()
    notifier = shop.container.notifier()
    tables = ("users", "products", "stock", "reservations", "orders", "payments", "notifications")
    state: dict[str, Any] = {
        name: {key: _public(row) for key, row in store.table(name).items()} for name in tables
    }
    state["movements"] = {pid: list(moves) for pid, moves in store.movements.items()}
    state["inbox"] = set(store.inbox)
    state["outbox"] = list(store.outbox)
    state["gateway"] = (
        dict(gateway.charge_calls), dict(gateway.captures),
        dict(gateway.captured), dict(gateway.refunded),
    )
    state["sent"] = list(notifier.sent)
    return state


class Recorder:
    def __init__(self, shop: Shop) -> None:
        self.events: list[Event] = []
        shop.bus.observe(self.events.append)

    def of(self, event_type: type[Event]) -> list[Event]:
        return [e for e in self.events if type(e) is event_type]


@pytest.fixture
async def driven(
    container: Container, clock: ManualClock, settings: Settings
) -> AsyncIterator[tuple[Shop, Recorder]]:
    async with open_shop(container=container) as shop:
        recorder = Recorder(shop)
        await every_saga_path(shop, clock, settings)
        yield shop, recorder


async def test_the_scenario_produces_every_handled_event_type(
    driven: tuple[Shop, Recorder],
) -> None:
    shop, recorder = driven
    produced = {type(e) for e in recorder.events}
    missing = [t.__name__ for t in HANDLED_EVENT_TYPES if t not in produced]
    assert missing == []
    for event_type in HANDLED_EVENT_TYPES:
        assert shop.bus.handlers_of(event_type)


@pytest.mark.parametrize("event_type", HANDLED_EVENT_TYPES, ids=lambda t: t.__name__)
async def test_a_redelivered_event_changes_nothing(
    driven: tuple[Shop, Recorder], event_type: type[Event]
) -> None:
    shop, recorder = driven
    events = recorder.of(event_type)
    assert events, f"the scenario produced no {event_type.__name__}"
    for event in events:
        before = state_of(shop)
        await shop.bus.dispatch([event])
        assert state_of(shop) == before, f"{event_type.__name__} {event.message_id}"


@pytest.mark.parametrize("event_type", HANDLED_EVENT_TYPES, ids=lambda t: t.__name__)
async def test_each_handler_guards_its_own_state(
    driven: tuple[Shop, Recorder], event_type: type[Event]
) -> None:
    """Bypasses the inbox: a fresh unit of work, not bound to the message, each time."""
    shop, recorder = driven
    for handler in event_handlers()[event_type]:
        params = list(inspect.signature(handler).parameters)[1:]
        for event in recorder.of(event_type):
            before = state_of(shop)
            for _ in range(2):  # the bus ran it once already: these are the 2nd and 3rd runs
                # The bus's dependencies are the container's providers of the same name.
                kwargs = {p: getattr(shop.container, p)() for p in params}
                await handler(event, **kwargs)
                assert state_of(shop) == before, (handler.__qualname__, event)
