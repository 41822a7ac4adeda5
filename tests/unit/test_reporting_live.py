"""The embedded shop feeds its read models as the sagas run: reports are right after a command."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from factories import a_customer, a_product, place_order

from adapters.system import ManualClock
from commerce_core.ordering.commands import CancelOrder
from commerce_core.ordering.model import OrderStatus
from commerce_core.reporting.model import SalesGrouping
from entrypoints.embedded import Shop


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
