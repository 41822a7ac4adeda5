"""Rebuilding the read models from the whole event history gives exactly the figures built live,
on every backend: real sagas run through the shop (confirmations, a decline, an expiry, a
cancellation after payment, a return, supplier receipts, a damage write-off, a product moving to
another category) over several days, then the journal is replayed and every report compared."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dependency_injector import providers

from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct, UpdateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.inventory.commands import AdjustStock, GetStock
from commerce_core.inventory.supplier_commands import CreateSupplier, ReceiveSupplierShipment
from commerce_core.ordering.commands import (
    CancelOrder,
    Checkout,
    DeliverOrder,
    ExpireReservations,
    GetOrder,
    ShipOrder,
)
from commerce_core.ordering.model import Order, OrderStatus
from commerce_core.ordering.return_commands import ReceiveReturn, RequestReturn
from commerce_core.reporting.model import SalesGrouping
from commerce_core.reporting.replay import rebuild
from entrypoints.container import Container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings
from entrypoints.workers import relay_once

PASSWORD = "correct horse battery"


async def _order(shop: Shop, user_id: str, lines: list[tuple[str, int]], token: str) -> Order:
    for product_id, quantity in lines:
        await shop.handle(AddToCart(user_id, product_id, quantity))
    placed: Order = await shop.handle(Checkout(user_id=user_id, payment_token=token))
    order: Order = await shop.handle(GetOrder(order_id=placed.id, requested_by="", as_admin=True))
    return order  # as the saga left it


async def _run_the_shop(shop: Shop, clock: ManualClock, settings: Settings) -> dict[str, str]:
    def product(
        sku: str, name: str, category: str, price: str, stock: int, threshold: int = 3
    ) -> CreateProduct:
        return CreateProduct(
            sku=sku,
            name=name,
            description="",
            category=category,
            price=Decimal(price),
            currency="EUR",
            stock=stock,
            low_stock_threshold=threshold,
        )

    widget = await shop.handle(product("W-1", "Widget", "tools", "12.50", 30))
    gadget = await shop.handle(product("G-1", "Gadget", "toys", "4.99", 12))
    lamp = await shop.handle(product("L-1", "Lamp", "home", "39.00", 5, threshold=8))
    ana, bob, cara, dan = [
        (await shop.handle(RegisterUser(f"{n}@example.com", PASSWORD, n.title()))).id
        for n in ("ana", "bob", "cara", "dan")
    ]
    supplier, api_key = await shop.handle(CreateSupplier("Acme"))
    assert supplier.name == "Acme"

    # Day 1: two confirmed orders, one declined, an abandoned cart.
    kept = await _order(shop, ana, [(widget.id, 2), (gadget.id, 1)], "tok_visa")
    await _order(shop, bob, [(lamp.id, 1)], "tok_visa")
    declined = await _order(shop, cara, [(widget.id, 1)], "tok_chargeDeclined")
    assert declined.status is OrderStatus.CANCELLED
    await shop.handle(AddToCart(dan, gadget.id, 2))  # never checked out

    # Day 2: a supplier delivery (twice: the replay of a receipt changes stock once), an order
    # cancelled after payment, one that times out at the gateway and expires.
    clock.advance(timedelta(days=1))
    for _ in range(2):
        await shop.handle(
            ReceiveSupplierShipment(
                api_key=api_key, reference="PO-7", lines=(("W-1", 10), ("L-1", 4))
            )
        )
    regret = await _order(shop, bob, [(gadget.id, 3)], "tok_visa")
    assert regret.status is OrderStatus.CONFIRMED
    await shop.handle(CancelOrder(order_id=regret.id, requested_by=bob))
    silent = await _order(shop, ana, [(lamp.id, 2)], "tok_timeout")
    assert silent.status is OrderStatus.PENDING
    clock.advance(settings.reservation_ttl + timedelta(seconds=1))
    assert await shop.handle(ExpireReservations()) == 1

    # Day 3: the gadget becomes a game; an order after that; the first order comes back in part.
    clock.advance(timedelta(days=1))
    await shop.handle(UpdateProduct(product_id=gadget.id, category="games"))
    later = await _order(shop, cara, [(gadget.id, 2), (widget.id, 1)], "tok_visa")
    assert later.status is OrderStatus.CONFIRMED
    await shop.handle(ShipOrder(kept.id))
    await shop.handle(DeliverOrder(kept.id))
    asked = await shop.handle(
        RequestReturn(order_id=kept.id, requested_by=ana, items=((widget.id, 1),))
    )
    await shop.handle(ReceiveReturn(asked.id))
    await shop.handle(AdjustStock(product_id=lamp.id, delta=-1, reason="damage"))
    return {"widget": widget.id, "gadget": gadget.id, "lamp": lamp.id}


async def _every_report(shop: Shop, first: date, last: date) -> dict[str, object]:
    store = shop.container.reporting_store()
    reports: dict[str, object] = {
        f"sales by {grouping.value}": await store.sales(first, last, grouping)
        for grouping in SalesGrouping
    }
    reports["inventory"] = await store.inventory()
    reports["low stock"] = await store.low_stock()
    reports["funnel"] = await store.funnel(first, last)
    for day in range((last - first).days + 1):
        one = first + timedelta(days=day)
        reports[f"sales on {one}"] = await store.sales(one, one, SalesGrouping.PRODUCT)
        reports[f"funnel on {one}"] = await store.funnel(one, one)
    return reports


async def test_a_rebuild_from_the_journal_gives_exactly_the_live_reports(
    shop: Shop, clock: ManualClock, settings: Settings
) -> None:
    started = clock.now().date()
    products = await _run_the_shop(shop, clock, settings)
    await shop.container.reporting_consumer().flush()  # a buffering consumer stores the rest
    first, last = started - timedelta(days=1), clock.now().date() + timedelta(days=1)
    live = await _every_report(shop, first, last)

    # The live figures are the shop's own: stock as inventory keeps it, net sales by hand.
    inventory = {row.sku: row for row in live["inventory"].rows}  # type: ignore[attr-defined]
    for sku, key in (("W-1", "widget"), ("G-1", "gadget"), ("L-1", "lamp")):
        stock = await shop.handle(GetStock(products[key]))
        assert (inventory[sku].on_hand, inventory[sku].available) == (
            stock.on_hand,
            stock.available,
        )
    widget = inventory["W-1"]
    assert (widget.received, widget.returned, widget.adjusted, widget.sold) == (10, 1, 30, 3)
    assert (inventory["L-1"].received, inventory["L-1"].adjusted) == (4, 4)  # 5 - 1 damaged
    totals = live["sales by day"].totals  # type: ignore[attr-defined]
    # kept 2x12.50 + 4.99, less 1 widget returned; the lamp 39.00; later 2x4.99 + 12.50.
    assert [(t.orders, t.units, t.revenue) for t in totals] == [(3, 6, Decimal("78.97"))]
    by_category = live["sales by category"].rows  # type: ignore[attr-defined]
    assert [(r.key, r.units, r.revenue) for r in by_category] == [
        ("games", 2, Decimal("9.98")),
        ("home", 1, Decimal("39.00")),
        ("tools", 2, Decimal("25.00")),
        ("toys", 1, Decimal("4.99")),
    ]
    low = [(r.sku, r.available, r.threshold) for r in live["low stock"].rows]  # type: ignore[attr-defined]
    assert low == [("L-1", 7, 8)]  # 5 - 1 sold + 4 received - 1 damaged
    funnel = live["funnel"]
    # carts: ana, bob, cara, dan (abandoned), bob, ana, cara; orders: 6 created, 4 paid and
    # confirmed (one of them cancelled after), declined, expired and regretted cancelled.
    assert (
        funnel.carts,
        funnel.orders_created,
        funnel.orders_paid,  # type: ignore[attr-defined]
        funnel.orders_confirmed,
        funnel.orders_cancelled,
    ) == (7, 6, 4, 4, 3)  # type: ignore[attr-defined]

    journal = shop.container.event_journal()
    replayed = await rebuild(journal, shop.container.reporting_store(), batch_size=16)
    assert replayed == await journal.count()
    assert await _every_report(shop, first, last) == live


class FailingIngests:
    """The container's store, refusing its next ``failures`` batches (a database gone away)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.failures = 0

    async def ingest(self, events: Any) -> int:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the reporting database went away")
        return int(await self.store.ingest(events))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def test_events_reporting_could_not_store_stay_in_the_outbox_until_it_can(
    container: Container,
) -> None:
    store = FailingIngests(container.reporting_store())
    container.reporting_store.override(providers.Object(store))
    async with open_shop(container=container) as shop:
        await _fail_then_recover(shop, store)


async def _fail_then_recover(shop: Shop, store: FailingIngests) -> None:
    widget = await shop.handle(
        CreateProduct(
            sku="W-1",
            name="Widget",
            description="",
            category="tools",
            price=Decimal("12.50"),
            currency="EUR",
            stock=30,
        )
    )
    ana = (await shop.handle(RegisterUser("ana@example.com", PASSWORD, "Ana"))).id
    outbox = shop.container.outbox()
    store.failures = 100  # every flush of the saga fails
    order = await _order(shop, ana, [(widget.id, 2)], "tok_visa")
    assert order.status is OrderStatus.CONFIRMED  # reporting never blocks a saga
    assert await outbox.backlog() > 0
    day = order.created_at.date()
    report = await store.sales(day, day, SalesGrouping.PRODUCT)
    assert report.rows == ()

    store.failures = 0  # back: the relay delivers the events again, to every consumer
    while await relay_once(outbox, shop.bus, min_age_s=0):
        pass
    await shop.container.reporting_consumer().flush()
    assert await outbox.backlog() == 0
    report = await store.sales(day, day, SalesGrouping.PRODUCT)
    assert [(r.key, r.orders, r.units, r.revenue) for r in report.rows] == [
        (widget.id, 1, 2, Decimal("25.00"))
    ]
    funnel = await store.funnel(day, day)
    assert (funnel.carts, funnel.orders_created, funnel.orders_confirmed) == (1, 1, 1)
    stock = await shop.handle(GetStock(widget.id))
    assert (stock.on_hand, stock.reserved) == (28, 0)  # the redelivery changed nothing else
    journal = shop.container.event_journal()
    message_ids = [event.message_id for _, event in await journal.read(after=0, limit=1000)]
    assert len(message_ids) == len(set(message_ids)) == await journal.count()
