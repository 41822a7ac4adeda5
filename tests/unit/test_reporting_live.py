"""The embedded shop feeds its read models as the sagas run: reports are right after a command."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from factories import a_customer, a_product, place_order

from adapters.system import ManualClock
from commerce_core.catalog.events import ProductCreated
from commerce_core.ordering.commands import CancelOrder
from commerce_core.ordering.model import OrderStatus
from commerce_core.reporting.model import SalesGrouping
from entrypoints.container import build_container
from entrypoints.embedded import Shop
from entrypoints.settings import Settings


async def test_sales_follow_confirmations_and_cancellations(shop: Shop, clock: ManualClock) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, name="Widget", category="tools", price="10.00", stock=20)
    kept = await place_order(shop, ana, [(widget, 3)])
    cancelled = await place_order(shop, ana, [(widget, 2)])
    assert kept.status is cancelled.status is OrderStatus.CONFIRMED
    await shop.handle(CancelOrder(order_id=cancelled.id, requested_by=ana.id))

    store = shop.container.reporting_store()
    today = clock.now().date()
    report = await store.sales(today - timedelta(days=1), today, SalesGrouping.PRODUCT)
    assert [(r.key, r.label, r.orders, r.units, r.revenue) for r in report.rows] == [
        (widget.id, "Widget", 1, 3, Decimal("30.00"))
    ]
    inventory = await store.inventory()
    (row,) = inventory.rows
    assert (row.on_hand, row.sold, row.adjusted) == (17, 3, 20)
    funnel = await store.funnel(today, today)
    assert (funnel.orders_created, funnel.orders_confirmed, funnel.orders_cancelled) == (2, 2, 1)
    journal = shop.container.event_journal()
    names = [type(event).__name__ for _, event in await journal.read(after=0, limit=100)]
    assert names.count("OrderConfirmed") == 2
    assert names.count("CartStarted") == 2


async def test_a_saga_is_stored_once_its_dispatch_ends(shop: Shop) -> None:
    ana = await a_customer(shop)
    widget = await a_product(shop, stock=5)
    await place_order(shop, ana, [(widget, 1)])
    consumer = shop.container.reporting_consumer()
    assert consumer.pending == 0  # every dispatch flushed before its outbox marks
    assert consumer.stored == await shop.container.event_journal().count() > 0


async def test_a_report_sees_events_no_dispatch_flushed_yet(shop: Shop, clock: ManualClock) -> None:
    # A dispatch whose every event failed somewhere marks nothing delivered, hence no flush.
    consumer = shop.container.reporting_consumer()
    await consumer.consume(_product_created("p1", clock))
    assert consumer.pending == 1
    (row,) = (await shop.container.reporting_store().inventory()).rows
    assert (row.product_id, row.on_hand) == ("p1", 4)
    assert consumer.pending == 0


async def test_with_a_broker_the_memory_consumer_stores_each_event_at_once(
    clock: ManualClock,
) -> None:
    # A broker worker acknowledges each event after its handler: nothing may wait in a buffer.
    container = build_container(Settings(amqp_url="amqp://guest:guest@127.0.0.1:5672/"))
    consumer = container.reporting_consumer()
    await consumer.consume(_product_created("p1", clock))
    assert consumer.pending == 0
    assert await container.event_journal().count() == 1


def _product_created(product_id: str, clock: ManualClock) -> ProductCreated:
    return ProductCreated(
        occurred_at=clock.now(),
        correlation_id=product_id,
        product_id=product_id,
        sku=f"SKU-{product_id}",
        name="Widget",
        description="",
        category="tools",
        price=Decimal("10.00"),
        currency="EUR",
        initial_stock=4,
        low_stock_threshold=1,
    )
