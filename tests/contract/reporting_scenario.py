"""A fixed history of integration events and the figures every reporting store must give for it.

The expected figures are worked out by hand in the comments, from the rules of
``commerce_core.reporting.projection`` (net sales by the UTC day of the confirmation).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from commerce_core.cart.events import CartStarted
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.identity.events import UserRegistered
from commerce_core.inventory.events import (
    InventoryReleased,
    InventoryReserved,
    LowStockDetected,
    ReservedItem,
    StockAdjusted,
    StockUpdated,
)
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderedItem,
    OrderShipped,
    ReturnedItem,
    ReturnReceived,
)
from commerce_core.payments.events import PaymentFailed, PaymentProcessed, PaymentRefunded
from commerce_core.shared.events import Event

MAR_1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WIDGET, GADGET = "p-widget", "p-gadget"
FIRST_DAY, LAST_DAY = date(2026, 3, 1), date(2026, 3, 3)


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def _order(order_id: str, when: datetime, items: list[tuple[str, int, str]]) -> list[Event]:
    lines = tuple(OrderedItem(pid, qty, Decimal(price)) for pid, qty, price in items)
    total = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    return [
        CartStarted(
            occurred_at=when - timedelta(minutes=5),
            correlation_id="u1",
            user_id="u1",
            product_id=items[0][0],
            quantity=items[0][1],
        ),
        OrderCreated(
            occurred_at=when,
            correlation_id=order_id,
            order_id=order_id,
            user_id="u1",
            items=lines,
            total=total,
            currency="EUR",
            payment_method="tok_visa",
        ),
        InventoryReserved(
            occurred_at=when,
            correlation_id=order_id,
            order_id=order_id,
            items=tuple(ReservedItem(pid, qty) for pid, qty, _ in items),
            expires_at=(when + timedelta(minutes=15)).isoformat(),
        ),
    ]


def _paid_and_confirmed(order_id: str, when: datetime, total: str) -> list[Event]:
    return [
        PaymentProcessed(
            occurred_at=when,
            correlation_id=order_id,
            order_id=order_id,
            amount=Decimal(total),
            currency="EUR",
            reference=f"ch-{order_id}",
        ),
        OrderConfirmed(
            occurred_at=when,
            correlation_id=order_id,
            order_id=order_id,
            user_id="u1",
            total=Decimal(total),
            currency="EUR",
        ),
    ]


def simple_order(order_id: str, when: datetime, product_id: str, price: str) -> list[Event]:
    """One unit, created, paid and confirmed at ``when``."""
    return _order(order_id, when, [(product_id, 1, price)]) + _paid_and_confirmed(
        order_id, when, price
    )


def _stock(product_id: str, when: datetime, on_hand: int, reserved: int, version: int) -> Event:
    return StockUpdated(
        occurred_at=when,
        correlation_id=product_id,
        product_id=product_id,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        stock_version=version,
    )


def history() -> list[Event]:
    events: list[Event] = [
        UserRegistered(
            occurred_at=MAR_1,
            correlation_id="u1",
            user_id="u1",
            email="ana@example.com",
            name="Ana",
            role="customer",
        ),
        ProductCreated(
            occurred_at=MAR_1,
            correlation_id=WIDGET,
            product_id=WIDGET,
            sku="W-1",
            name="Widget",
            description="",
            category="tools",
            price=Decimal("10.00"),
            currency="EUR",
            initial_stock=20,
            low_stock_threshold=5,
        ),
        _stock(WIDGET, MAR_1, 20, 0, 1),
        ProductCreated(
            occurred_at=MAR_1,
            correlation_id=GADGET,
            product_id=GADGET,
            sku="G-1",
            name="Gadget",
            description="",
            category="toys",
            price=Decimal("2.50"),
            currency="EUR",
            initial_stock=10,
            low_stock_threshold=3,
        ),
        _stock(GADGET, MAR_1, 10, 0, 1),
    ]
    # A: 2 widgets + 1 gadget = 22.50, confirmed at 23:59:59 UTC on March 1st.
    events += _order("o-a", at(1, 23, 50), [(WIDGET, 2, "10.00"), (GADGET, 1, "2.50")])
    events += _paid_and_confirmed("o-a", at(1, 23, 59, 59), "22.50")
    events += [
        _stock(WIDGET, at(1, 23, 59, 59), 18, 0, 3),
        _stock(GADGET, at(1, 23, 59, 59), 9, 0, 3),
    ]
    # B: 1 widget = 10.00, confirmed at 01:30 on March 2nd in UTC+2, i.e. 23:30 UTC March 1st.
    events += _order("o-b", at(1, 23, 0), [(WIDGET, 1, "10.00")])
    plus_two = timezone(timedelta(hours=2))
    events += _paid_and_confirmed("o-b", datetime(2026, 3, 2, 1, 30, tzinfo=plus_two), "10.00")
    events.append(_stock(WIDGET, at(1, 23, 30), 17, 0, 5))
    # C: 3 gadgets = 7.50, confirmed March 2nd 00:00:00 UTC, cancelled and refunded March 3rd.
    events += _order("o-c", at(1, 23, 59), [(GADGET, 3, "2.50")])
    events += _paid_and_confirmed("o-c", at(2, 0, 0, 0), "7.50")
    events += [
        _stock(GADGET, at(2, 0), 6, 0, 5),
        OrderCancelled(
            occurred_at=at(3, 8),
            correlation_id="o-c",
            order_id="o-c",
            user_id="u1",
            reason="customer_cancelled",
            previous_status="CONFIRMED",
        ),
        InventoryReleased(
            occurred_at=at(3, 8),
            correlation_id="o-c",
            order_id="o-c",
            reason="order_cancelled",
            items=(ReservedItem(GADGET, 3),),
        ),
        _stock(GADGET, at(3, 8), 9, 0, 6),
        PaymentRefunded(
            occurred_at=at(3, 8),
            correlation_id="o-c",
            order_id="o-c",
            amount=Decimal("7.50"),
            currency="EUR",
        ),
    ]
    # The gadget moves to "games"; C was booked under "toys" and comes off "toys".
    events.append(
        ProductUpdated(
            occurred_at=at(2, 6),
            correlation_id=GADGET,
            product_id=GADGET,
            sku="G-1",
            name="Gadget deluxe",
            description="",
            category="games",
            price=Decimal("2.50"),
            currency="EUR",
            active=True,
        )
    )
    # D: 1 widget + 2 gadgets = 15.00 on March 2nd; 1.00 refunded: 0.67 off the widget line,
    # 0.33 off the gadget line (pro rata 10.00 : 5.00).
    events += _order("o-d", at(2, 10), [(WIDGET, 1, "10.00"), (GADGET, 2, "2.50")])
    events += _paid_and_confirmed("o-d", at(2, 10, 1), "15.00")
    events += [
        _stock(WIDGET, at(2, 10, 1), 16, 0, 7),
        _stock(GADGET, at(2, 10, 1), 7, 0, 8),
        LowStockDetected(
            occurred_at=at(2, 10, 1),
            correlation_id=GADGET,
            product_id=GADGET,
            available=7,
            threshold=8,
        ),
        PaymentRefunded(
            occurred_at=at(2, 15),
            correlation_id="o-d",
            order_id="o-d",
            amount=Decimal("1.00"),
            currency="EUR",
        ),
    ]
    # E: declined, never confirmed.
    events += _order("o-e", at(2, 11), [(WIDGET, 1, "10.00")])
    events += [
        PaymentFailed(
            occurred_at=at(2, 11), correlation_id="o-e", order_id="o-e", reason="card_declined"
        ),
        InventoryReleased(
            occurred_at=at(2, 11),
            correlation_id="o-e",
            order_id="o-e",
            reason="payment_failed",
            items=(ReservedItem(WIDGET, 1),),
        ),
        OrderCancelled(
            occurred_at=at(2, 11),
            correlation_id="o-e",
            order_id="o-e",
            user_id="u1",
            reason="payment_declined",
            previous_status="PENDING",
        ),
    ]
    # F: 2 widgets = 20.00 on March 3rd, delivered, 1 returned: 1 widget, 10.00 left.
    events += _order("o-f", at(3, 9), [(WIDGET, 2, "10.00")])
    events += _paid_and_confirmed("o-f", at(3, 9), "20.00")
    events += [
        _stock(WIDGET, at(3, 9), 14, 0, 9),
        OrderShipped(occurred_at=at(3, 10), correlation_id="o-f", order_id="o-f", user_id="u1"),
        OrderDelivered(occurred_at=at(3, 11), correlation_id="o-f", order_id="o-f", user_id="u1"),
        ReturnReceived(
            occurred_at=at(3, 18),
            correlation_id="o-f",
            order_id="o-f",
            return_id="o-f-r1",
            user_id="u1",
            items=(ReturnedItem(WIDGET, 1),),
            refund_amount=Decimal("10.00"),
            currency="EUR",
            refunded=True,
        ),
        StockAdjusted(
            occurred_at=at(3, 18),
            correlation_id=WIDGET,
            product_id=WIDGET,
            delta=1,
            reason="return",
            reference="o-f-r1",
        ),
        _stock(WIDGET, at(3, 18), 15, 0, 10),
        # Stock movements outside orders: a supplier delivery and a damaged gadget.
        StockAdjusted(
            occurred_at=at(3, 19),
            correlation_id=WIDGET,
            product_id=WIDGET,
            delta=5,
            reason="supplier",
            reference="PO-1",
        ),
        _stock(WIDGET, at(3, 19), 20, 0, 11),
        StockAdjusted(
            occurred_at=at(3, 19),
            correlation_id=GADGET,
            product_id=GADGET,
            delta=-1,
            reason="damage",
            reference=None,
        ),
        _stock(GADGET, at(3, 19), 6, 0, 9),
    ]
    return events


# (key, orders, units, revenue) by grouping, over March 1st to 3rd, all EUR.
SALES_BY_DAY = [
    ("2026-03-01", 2, 4, "32.50"),  # A (22.50, 3 units) and B (10.00, 1 unit)
    ("2026-03-02", 1, 3, "14.00"),  # D after its partial refund; C is gone
    ("2026-03-03", 1, 1, "10.00"),  # F less its return
]
SALES_BY_PRODUCT = [
    (GADGET, "Gadget deluxe", 2, 3, "7.17"),  # A 2.50 + D 4.67
    (WIDGET, "Widget", 4, 5, "49.33"),  # A 20.00 + B 10.00 + D 9.33 + F 10.00
]
SALES_BY_CATEGORY = [
    ("games", 1, 2, "4.67"),  # D's gadgets, sold after the move
    ("tools", 4, 5, "49.33"),
    ("toys", 1, 1, "2.50"),  # A's gadget
]
TOTAL = (4, 8, "56.50")
# Widget: on hand 20 -> 18 (A) -> 17 (B) -> 16 (D) -> 14 (F) -> 15 (return) -> 20 (supplier);
# sold = 5 received + 1 returned + 20 adjusted (the initial stock) - 20 on hand = 6.
# Gadget: 10 -> 9 (A) -> 6 (C) -> 9 (C cancelled) -> 7 (D) -> 6 (damaged);
# sold = 9 adjusted (10 initial, 1 damaged) - 6 on hand = 3; LowStockDetected set its
# threshold to 8.
INVENTORY = {
    # product: (on_hand, reserved, available, threshold, received, sold, returned, adjusted)
    WIDGET: (20, 0, 20, 5, 5, 6, 1, 20),
    GADGET: (6, 0, 6, 8, 0, 3, 0, 9),
}
LOW_STOCK = [(GADGET, "G-1", "Gadget deluxe", 6, 8)]
FUNNEL = {  # carts, created, paid, confirmed, cancelled over the 3 days
    "carts": 6,
    "orders_created": 6,
    "orders_paid": 5,
    "orders_confirmed": 5,
    "orders_cancelled": 2,
}
# March 2nd alone: C was paid and confirmed that day (cancelled on the 3rd), D too, E cancelled.
FUNNEL_MARCH_2 = {
    "carts": 2,
    "orders_created": 2,
    "orders_paid": 2,
    "orders_confirmed": 2,
    "orders_cancelled": 1,
}
