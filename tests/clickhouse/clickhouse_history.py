"""A seeded event history that exercises every reporting rule: products and their changes, stock
figures and adjustments, carts, orders confirmed, cancelled, refunded in part or in full, and
returned, in two currencies and over several weeks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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
from commerce_core.shared.events import Event

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def history(seed: int = 7, *, orders: int = 300, products: int = 12, days: int = 35) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    catalog: dict[str, tuple[Decimal, int]] = {}
    stock_versions: dict[str, int] = {}
    on_hand: dict[str, int] = {}

    def at(day: int) -> datetime:
        return START + timedelta(days=day, minutes=rng.randrange(0, 24 * 60 - 1))

    for n in range(products):
        product_id = f"p{n:03d}"
        price = Decimal(rng.choice(["4.99", "10.00", "19.90", "7.35", "120.00"]))
        stock = rng.randrange(20, 200)
        catalog[product_id] = (price, stock)
        on_hand[product_id] = stock
        stock_versions[product_id] = 0
        events.append(
            ProductCreated(
                occurred_at=START - timedelta(days=1),
                correlation_id=product_id,
                product_id=product_id,
                sku=f"SKU-{n:03d}",
                name=f"Product {n}",
                description="",
                category=rng.choice(["tools", "garden", "kitchen"]),
                price=price,
                currency="EUR",
                initial_stock=stock,
                low_stock_threshold=rng.randrange(5, 40),
            )
        )

    def stock_changed(product_id: str, delta: int, day: int) -> None:
        on_hand[product_id] += delta
        stock_versions[product_id] += 1
        events.append(
            StockUpdated(
                occurred_at=at(day),
                correlation_id=product_id,
                product_id=product_id,
                on_hand=on_hand[product_id],
                reserved=0,
                available=on_hand[product_id],
                stock_version=stock_versions[product_id],
            )
        )

    for n in range(orders):
        day = rng.randrange(days)
        order_id = f"o{n:05d}"
        currency = "EUR" if rng.random() < 0.8 else "JPY"
        chosen = rng.sample(sorted(catalog), rng.randrange(1, 4))
        items = tuple(
            OrderedItem(
                pid,
                rng.randrange(1, 4),
                catalog[pid][0] if currency == "EUR" else Decimal(rng.randrange(300, 900)),
            )
            for pid in chosen
        )
        total = sum((i.unit_price * i.quantity for i in items), Decimal(0))
        created = at(day)
        events.append(
            CartStarted(
                occurred_at=created - timedelta(minutes=5),
                correlation_id=f"u{n}",
                user_id=f"u{n}",
                product_id=chosen[0],
                quantity=1,
            )
        )
        events.append(
            OrderCreated(
                occurred_at=created,
                correlation_id=order_id,
                order_id=order_id,
                user_id=f"u{n}",
                items=items,
                total=total,
                currency=currency,
                payment_method="tok_visa",
            )
        )
        if rng.random() < 0.15:
            events.append(
                OrderCancelled(
                    occurred_at=created + timedelta(minutes=1),
                    correlation_id=order_id,
                    order_id=order_id,
                    user_id=f"u{n}",
                    reason="payment_failed",
                    previous_status="PENDING",
                )
            )
            continue
        events.append(
            PaymentProcessed(
                occurred_at=created + timedelta(seconds=30),
                correlation_id=order_id,
                order_id=order_id,
                amount=total,
                currency=currency,
                reference=f"ch_{n}",
            )
        )
        events.append(
            OrderConfirmed(
                occurred_at=created + timedelta(seconds=40),
                correlation_id=order_id,
                order_id=order_id,
                user_id=f"u{n}",
                total=total,
                currency=currency,
            )
        )
        for item in items:
            stock_changed(item.product_id, -item.quantity, day)
        fate = rng.random()
        later = min(days - 1, day + rng.randrange(0, 5))
        if fate < 0.08:
            events.append(
                OrderCancelled(
                    occurred_at=at(later),
                    correlation_id=order_id,
                    order_id=order_id,
                    user_id=f"u{n}",
                    reason="customer",
                    previous_status="CONFIRMED",
                )
            )
            events.append(
                PaymentRefunded(
                    occurred_at=at(later),
                    correlation_id=order_id,
                    order_id=order_id,
                    amount=total,
                    currency=currency,
                )
            )
        elif fate < 0.14:
            events.append(
                PaymentRefunded(
                    occurred_at=at(later),
                    correlation_id=order_id,
                    order_id=order_id,
                    amount=(total / 3).quantize(
                        Decimal("1") if currency == "JPY" else Decimal("0.01")
                    ),
                    currency=currency,
                )
            )
        elif fate < 0.20:
            item = items[0]
            events.append(
                ReturnReceived(
                    occurred_at=at(later),
                    correlation_id=order_id,
                    order_id=order_id,
                    return_id=f"r{n}",
                    user_id=f"u{n}",
                    items=(ReturnedItem(item.product_id, 1),),
                    refund_amount=item.unit_price,
                    currency=currency,
                    refunded=True,
                )
            )
            events.append(
                StockAdjusted(
                    occurred_at=at(later),
                    correlation_id=item.product_id,
                    product_id=item.product_id,
                    delta=1,
                    reason="return",
                    reference=f"r{n}",
                )
            )
            stock_changed(item.product_id, 1, later)
    for product_id in sorted(catalog)[:4]:
        received = rng.randrange(10, 60)
        events.append(
            StockAdjusted(
                occurred_at=at(days - 1),
                correlation_id=product_id,
                product_id=product_id,
                delta=received,
                reason="supplier",
                reference="PO-1",
            )
        )
        stock_changed(product_id, received, days - 1)
    events.append(
        StockAdjusted(
            occurred_at=at(days - 1),
            correlation_id="p001",
            product_id="p001",
            delta=-2,
            reason="damage",
        )
    )
    stock_changed("p001", -2, days - 1)
    first = sorted(catalog)[0]
    price, _ = catalog[first]
    events.append(
        ProductUpdated(
            occurred_at=at(days - 1),
            correlation_id=first,
            product_id=first,
            sku="SKU-000",
            name="Product 0 (renamed)",
            description="",
            category="tools",
            price=price,
            currency="EUR",
            active=True,
        )
    )
    events.append(
        LowStockDetected(
            occurred_at=at(days - 1),
            correlation_id="p002",
            product_id="p002",
            available=on_hand["p002"],
            threshold=300,
        )
    )
    return events
