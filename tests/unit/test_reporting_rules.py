"""What each event means for the read models (commerce_core.reporting.projection), read back
through the in-memory store: net sales by the UTC day of the confirmation, movement kinds, low
stock, the funnel, and a message delivered twice counting once."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from adapters.memory.outbox import MemoryOutbox
from adapters.memory.reporting import MemoryEventJournal, MemoryReportingStore
from adapters.memory.store import MemoryStore, OutboxRow
from commerce_core.cart.events import CartStarted
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.inventory.events import LowStockDetected, StockAdjusted, StockUpdated
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderedItem,
    ReturnedItem,
    ReturnReceived,
)
from commerce_core.payments.events import PaymentProcessed, PaymentRefunded
from commerce_core.reporting.consumer import OutboxMarkedAfterReports, ReportingConsumer
from commerce_core.reporting.model import SalesGrouping, SalesReport
from commerce_core.reporting.replay import rebuild
from commerce_core.shared.events import Event

NOON = datetime(2026, 5, 10, 12, tzinfo=UTC)
DAY = NOON.date()
_orders = itertools.count(1)


def created(
    product_id: str = "p1",
    *,
    category: str = "tools",
    stock: int = 10,
    threshold: int = 2,
    name: str = "Widget",
) -> ProductCreated:
    return ProductCreated(
        occurred_at=NOON,
        correlation_id=product_id,
        product_id=product_id,
        sku=f"SKU-{product_id}",
        name=name,
        description="",
        category=category,
        price=Decimal("10.00"),
        currency="EUR",
        initial_stock=stock,
        low_stock_threshold=threshold,
    )


def updated(
    product_id: str = "p1", *, category: str = "tools", active: bool = True, name: str = "Widget"
) -> ProductUpdated:
    return ProductUpdated(
        occurred_at=NOON,
        correlation_id=product_id,
        product_id=product_id,
        sku=f"SKU-{product_id}",
        name=name,
        description="",
        category=category,
        price=Decimal("10.00"),
        currency="EUR",
        active=active,
    )


def order_created(
    lines: list[tuple[str, int, str]], *, order_id: str | None = None, at: datetime = NOON
) -> OrderCreated:
    order_id = order_id or f"o{next(_orders)}"
    items = tuple(OrderedItem(pid, qty, Decimal(price)) for pid, qty, price in lines)
    return OrderCreated(
        occurred_at=at,
        correlation_id=order_id,
        order_id=order_id,
        user_id="u",
        items=items,
        total=sum((i.unit_price * i.quantity for i in items), Decimal(0)),
        currency="EUR",
        payment_method="tok_visa",
    )


def confirmed(order: OrderCreated, at: datetime = NOON) -> OrderConfirmed:
    return OrderConfirmed(
        occurred_at=at,
        correlation_id=order.order_id,
        order_id=order.order_id,
        user_id="u",
        total=order.total,
        currency="EUR",
    )


def paid(order: OrderCreated, at: datetime = NOON) -> PaymentProcessed:
    return PaymentProcessed(
        occurred_at=at,
        correlation_id=order.order_id,
        order_id=order.order_id,
        amount=order.total,
        currency="EUR",
        reference="ch",
    )


def cancelled(
    order: OrderCreated, previous: str = "CONFIRMED", at: datetime = NOON
) -> OrderCancelled:
    return OrderCancelled(
        occurred_at=at,
        correlation_id=order.order_id,
        order_id=order.order_id,
        user_id="u",
        reason="customer_cancelled",
        previous_status=previous,
    )


def refunded(order: OrderCreated, amount: str) -> PaymentRefunded:
    return PaymentRefunded(
        occurred_at=NOON,
        correlation_id=order.order_id,
        order_id=order.order_id,
        amount=Decimal(amount),
        currency="EUR",
    )


def returned(order: OrderCreated, items: list[tuple[str, int]], amount: str) -> ReturnReceived:
    return ReturnReceived(
        occurred_at=NOON + timedelta(days=3),
        correlation_id=order.order_id,
        order_id=order.order_id,
        return_id=f"{order.order_id}-r1",
        user_id="u",
        items=tuple(ReturnedItem(pid, qty) for pid, qty in items),
        refund_amount=Decimal(amount),
        currency="EUR",
        refunded=True,
    )


def stock(product_id: str, on_hand: int, reserved: int, version: int) -> StockUpdated:
    return StockUpdated(
        occurred_at=NOON,
        correlation_id=product_id,
        product_id=product_id,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        stock_version=version,
    )


def adjusted(product_id: str, delta: int, reason: str) -> StockAdjusted:
    return StockAdjusted(
        occurred_at=NOON,
        correlation_id=product_id,
        product_id=product_id,
        delta=delta,
        reason=reason,
        reference=None,
    )


async def fed(*events: Event) -> MemoryReportingStore:
    store = MemoryReportingStore()
    await store.ingest(list(events))
    return store


def figures(report: SalesReport) -> list[tuple[str, int, int, Decimal]]:
    return [(r.key, r.orders, r.units, r.revenue) for r in report.rows]


def totals(report: SalesReport) -> list[tuple[int, int, Decimal]]:
    return [(t.orders, t.units, t.revenue) for t in report.totals]


async def sales(
    store: MemoryReportingStore,
    grouping: SalesGrouping = SalesGrouping.PRODUCT,
    first: date = DAY,
    last: date = DAY,
) -> SalesReport:
    return await store.sales(first, last, grouping)


# -- sales --------------------------------------------------------------------------------------


async def test_an_order_counts_once_it_is_confirmed() -> None:
    order = order_created([("p1", 2, "10.00"), ("p2", 1, "4.50")])
    only_created = await fed(created("p1"), created("p2", category="toys"), order, paid(order))
    assert figures(await sales(only_created)) == []
    store = await fed(
        created("p1"), created("p2", category="toys"), order, paid(order), confirmed(order)
    )
    assert figures(await sales(store)) == [
        ("p1", 1, 2, Decimal("20.00")),
        ("p2", 1, 1, Decimal("4.50")),
    ]
    assert figures(await sales(store, SalesGrouping.CATEGORY)) == [
        ("tools", 1, 2, Decimal("20.00")),
        ("toys", 1, 1, Decimal("4.50")),
    ]
    assert figures(await sales(store, SalesGrouping.DAY)) == [
        (DAY.isoformat(), 1, 3, Decimal("24.50"))
    ]
    assert totals(await sales(store)) == [(1, 3, Decimal("24.50"))]


async def test_a_line_repeated_in_an_order_is_one_product_of_that_order() -> None:
    order = order_created([("p1", 1, "10.00"), ("p1", 2, "10.00")])
    store = await fed(created("p1"), order, confirmed(order))
    assert figures(await sales(store)) == [("p1", 1, 3, Decimal("30.00"))]


async def test_the_category_is_the_one_at_the_confirmation_and_stays_with_the_sale() -> None:
    before, after = order_created([("p1", 1, "10.00")]), order_created([("p1", 1, "10.00")])
    store = await fed(
        created("p1", category="tools"),
        before,
        confirmed(before),
        updated("p1", category="garden", name="Garden widget"),
        after,
        confirmed(after),
        cancelled(before),
    )
    # The cancelled sale comes off "tools", where it was booked; the later one is in "garden".
    assert figures(await sales(store, SalesGrouping.CATEGORY)) == [
        ("garden", 1, 1, Decimal("10.00"))
    ]
    report = await sales(store)
    assert [(r.key, r.label) for r in report.rows] == [("p1", "Garden widget")]  # name of now


async def test_a_cancellation_after_confirmation_takes_the_order_out_once() -> None:
    order = order_created([("p1", 3, "10.00")])
    kept = order_created([("p1", 1, "10.00")])
    store = await fed(
        created("p1"),
        order,
        confirmed(order),
        kept,
        confirmed(kept),
        cancelled(order),
        refunded(order, "30.00"),
    )
    assert figures(await sales(store)) == [("p1", 1, 1, Decimal("10.00"))]  # not negative
    assert totals(await sales(store)) == [(1, 1, Decimal("10.00"))]


async def test_an_order_cancelled_before_confirmation_never_counts() -> None:
    order = order_created([("p1", 1, "10.00")])
    store = await fed(created("p1"), order, cancelled(order, previous="PENDING"))
    assert figures(await sales(store)) == []
    assert totals(await sales(store)) == []


async def test_a_full_refund_takes_the_order_out() -> None:
    order = order_created([("p1", 2, "10.00")])
    store = await fed(created("p1"), order, confirmed(order), refunded(order, "20.00"))
    assert figures(await sales(store)) == []


async def test_a_partial_refund_takes_revenue_out_pro_rata_and_keeps_the_order() -> None:
    order = order_created([("p1", 1, "10.00"), ("p2", 1, "5.00")])
    store = await fed(
        created("p1"), created("p2"), order, confirmed(order), refunded(order, "1.00")
    )
    # 1.00 over 10.00 : 5.00 is 0.67 and 0.33, rounded to the cent, the remainder on the last.
    assert figures(await sales(store)) == [
        ("p1", 1, 1, Decimal("9.33")),
        ("p2", 1, 1, Decimal("4.67")),
    ]
    assert totals(await sales(store)) == [(1, 2, Decimal("14.00"))]
    await store.ingest([refunded(order, "14.00")])  # the rest: now all of it came back
    assert figures(await sales(store)) == []


async def test_a_return_takes_its_units_and_their_price_out() -> None:
    order = order_created([("p1", 3, "10.00"), ("p2", 1, "5.00")])
    store = await fed(
        created("p1"),
        created("p2", category="toys"),
        order,
        confirmed(order),
        returned(order, [("p1", 1), ("p2", 1)], "15.00"),
    )
    assert figures(await sales(store)) == [("p1", 1, 2, Decimal("20.00"))]
    assert figures(await sales(store, SalesGrouping.CATEGORY)) == [
        ("tools", 1, 2, Decimal("20.00"))
    ]  # no unit of "toys" left: the order leaves it
    await store.ingest([returned(order, [("p1", 2)], "20.00")])
    assert totals(await sales(store)) == []


async def test_a_confirmation_seen_before_the_order_books_once_both_are_known() -> None:
    order = order_created([("p1", 2, "10.00")])
    store = await fed(created("p1"), confirmed(order))
    assert figures(await sales(store)) == []
    await store.ingest([order])
    assert figures(await sales(store)) == [("p1", 1, 2, Decimal("20.00"))]


async def test_sales_fall_on_the_utc_day_of_the_confirmation() -> None:
    late = order_created([("p1", 1, "10.00")], at=NOON)
    midnight = order_created([("p1", 2, "10.00")], at=NOON)
    east = order_created([("p1", 4, "10.00")], at=NOON)
    last_instant = datetime(2026, 5, 10, 23, 59, 59, 999999, tzinfo=UTC)
    next_day = datetime(2026, 5, 11, tzinfo=UTC)
    tokyo = datetime(2026, 5, 11, 8, 59, tzinfo=timezone(timedelta(hours=9)))  # 23:59 UTC
    store = await fed(
        created("p1"),
        late,
        midnight,
        east,
        confirmed(late, last_instant),
        confirmed(midnight, next_day),
        confirmed(east, tokyo),
    )
    report = await sales(store, SalesGrouping.DAY, DAY, DAY + timedelta(days=1))
    assert figures(report) == [
        ("2026-05-10", 2, 5, Decimal("50.00")),
        ("2026-05-11", 1, 2, Decimal("20.00")),
    ]
    only_the_11th = await sales(
        store, SalesGrouping.DAY, DAY + timedelta(days=1), DAY + timedelta(days=1)
    )
    assert totals(only_the_11th) == [(1, 2, Decimal("20.00"))]


async def test_a_message_delivered_twice_counts_once() -> None:
    order = order_created([("p1", 1, "10.00")])
    events: list[Event] = [
        created("p1"),
        order,
        confirmed(order),
        CartStarted(occurred_at=NOON, correlation_id="u", user_id="u", product_id="p1", quantity=1),
    ]
    store = MemoryReportingStore()
    assert await store.ingest(events + events) == 4  # twice in one batch
    assert await store.ingest(events) == 0  # and again later
    assert figures(await sales(store)) == [("p1", 1, 1, Decimal("10.00"))]
    assert (await store.inventory()).rows[0].adjusted == 10
    assert (await store.funnel(DAY, DAY)).carts == 1


async def test_the_same_order_confirmed_by_two_messages_is_booked_once() -> None:
    order = order_created([("p1", 1, "10.00")])
    store = await fed(created("p1"), order, confirmed(order), confirmed(order))
    assert figures(await sales(store)) == [("p1", 1, 1, Decimal("10.00"))]
    assert (await store.funnel(DAY, DAY)).orders_confirmed == 1


# -- stock ----------------------------------------------------------------------------------------


async def test_movements_by_kind_and_sold_from_what_they_leave_unexplained() -> None:
    store = await fed(
        created("p1", stock=10),
        stock("p1", 10, 0, 1),
        stock("p1", 10, 3, 2),  # reserved for an order
        stock("p1", 7, 0, 3),  # committed: 3 sold
        adjusted("p1", 5, "supplier"),
        stock("p1", 12, 0, 4),
        adjusted("p1", 1, "return"),
        stock("p1", 13, 0, 5),
        adjusted("p1", -2, "damage"),
        stock("p1", 11, 0, 6),
        adjusted("p1", 1, "admin"),
        stock("p1", 12, 0, 7),
        stock("p1", 10, 0, 4),  # late and older: ignored
    )
    (row,) = (await store.inventory()).rows
    assert (row.on_hand, row.reserved, row.available) == (12, 0, 12)
    assert (row.received, row.returned, row.adjusted, row.sold) == (5, 1, 9, 3)


async def test_low_stock_is_available_at_or_under_the_threshold_of_active_products() -> None:
    store = await fed(
        created("p1", stock=5, threshold=2),
        stock("p1", 5, 3, 2),  # 2 available: low
        created("p2", stock=9, threshold=3),
        stock("p2", 9, 0, 1),
        LowStockDetected(
            occurred_at=NOON, correlation_id="p2", product_id="p2", available=9, threshold=9
        ),  # a raised threshold arrives with the event
        created("p3", stock=0, threshold=1),
        updated("p3", active=False),  # inactive
    )
    low = await store.low_stock()
    assert [(r.product_id, r.available, r.threshold) for r in low.rows] == [
        ("p1", 2, 2),
        ("p2", 9, 9),
    ]
    inventory = await store.inventory()
    assert [r.product_id for r in inventory.rows] == ["p1", "p2", "p3"]  # by sku, inactive too
    assert (inventory.total_on_hand, inventory.total_available) == (14, 11)


# -- funnel ---------------------------------------------------------------------------------------


async def test_the_funnel_counts_each_step_once_per_order_on_its_day() -> None:
    first, second = order_created([("p1", 1, "10.00")]), order_created([("p1", 1, "10.00")])
    tomorrow = NOON + timedelta(days=1)
    cart = CartStarted(
        occurred_at=NOON, correlation_id="u", user_id="u", product_id="p1", quantity=1
    )
    store = await fed(
        created("p1"),
        cart,
        first,
        paid(first),
        paid(first),
        confirmed(first),
        second,
        cancelled(second, "PENDING", at=tomorrow),
    )
    today = await store.funnel(DAY, DAY)
    assert (
        today.carts,
        today.orders_created,
        today.orders_paid,
        today.orders_confirmed,
        today.orders_cancelled,
    ) == (1, 2, 1, 1, 0)
    both = await store.funnel(DAY, DAY + timedelta(days=1))
    assert (both.orders_created, both.orders_cancelled) == (2, 1)


# -- consumer, outbox marks, replay ---------------------------------------------------------------


class FailingOnce(MemoryReportingStore):
    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def ingest(self, events: list[Event]) -> int:  # type: ignore[override]
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database away")
        return await super().ingest(events)


async def test_a_buffering_consumer_stores_on_flush_and_keeps_a_failed_batch() -> None:
    journal, store = MemoryEventJournal(), FailingOnce()
    consumer = ReportingConsumer(journal, store, batch_size=100, flush_delay_s=60)
    order = order_created([("p1", 1, "10.00")])
    for event in (created("p1"), order, confirmed(order)):
        await consumer.consume(event)
    assert consumer.pending == 3
    assert figures(await sales(store)) == []
    with pytest.raises(ConnectionError):
        await consumer.flush()
    assert consumer.pending == 3  # nothing lost
    assert await consumer.flush() == 3
    assert consumer.pending == 0
    assert await journal.count() == 3  # the first attempt's journal rows were not doubled
    assert figures(await sales(store)) == [("p1", 1, 1, Decimal("10.00"))]


async def test_outbox_rows_are_marked_only_once_reporting_stored_their_events() -> None:
    memory = MemoryStore()
    order = order_created([("p1", 1, "10.00")])
    events: list[Event] = [created("p1"), order]
    for event in events:
        memory.outbox[event.message_id] = OutboxRow(event, 0.0)
    store = FailingOnce()
    consumer = ReportingConsumer(MemoryEventJournal(), store, batch_size=100, flush_delay_s=60)
    outbox = OutboxMarkedAfterReports(MemoryOutbox(memory), consumer)
    for event in events:
        await consumer.consume(event)
    await outbox.mark_delivered([e.message_id for e in events])  # the flush fails
    assert await outbox.backlog() == 2  # the relay will deliver them again
    await outbox.mark_delivered([e.message_id for e in events])  # this flush works
    assert await outbox.backlog() == 0
    assert (await store.inventory()).rows[0].on_hand == 10


async def test_the_timer_stores_what_nobody_flushed_within_the_delay() -> None:
    journal, store = MemoryEventJournal(), MemoryReportingStore()
    consumer = ReportingConsumer(journal, store, batch_size=100, flush_delay_s=0.01)
    await consumer.consume(created("p1"))
    assert await consumer.flush() == 1  # an acknowledger's flush: the armed timer stays
    await consumer.consume(created("p2"))  # comes while that timer is armed
    assert consumer.pending == 1
    await asyncio.sleep(0.05)
    assert consumer.pending == 0  # the timer stored it
    assert await journal.count() == 2
    assert [row.product_id for row in (await store.inventory()).rows] == ["p1", "p2"]


async def test_a_report_stores_what_the_consumer_holds_first() -> None:
    store = FailingOnce()
    consumer = ReportingConsumer(MemoryEventJournal(), store, batch_size=100, flush_delay_s=60)
    store.read_after(consumer.flush_quietly)
    await consumer.consume(created("p1"))
    assert (await store.inventory()).rows == ()  # the flush failed: logged, what is stored
    assert consumer.pending == 1  # kept for the next flush
    assert [row.product_id for row in (await store.inventory()).rows] == ["p1"]
    assert consumer.pending == 0


async def test_rebuild_replays_the_journal_in_batches_and_reports_progress() -> None:
    order = order_created([("p1", 2, "10.00")])
    events: list[Event] = [created("p1"), order, confirmed(order), cancelled(order)]
    journal, store = MemoryEventJournal(), MemoryReportingStore()
    await journal.append(events[:3])
    await store.ingest(events)  # live state saw the cancellation the journal lacks
    progress: list[tuple[int, int]] = []
    assert (
        await rebuild(
            journal,
            store,
            batch_size=2,
            progress=lambda done, total: progress.append((done, total)),
        )
        == 3
    )
    assert progress == [(2, 3), (3, 3)]
    assert figures(await sales(store)) == [("p1", 1, 2, Decimal("20.00"))]
    with pytest.raises(ValueError, match="batch_size"):
        await rebuild(journal, store, batch_size=0)
