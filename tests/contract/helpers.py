"""Builders for the contract tests: aggregates made directly, stored through a unit of work."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from commerce_core.catalog.model import Product
from commerce_core.identity.model import Email, Role, User
from commerce_core.inventory.model import Reservation, Stock
from commerce_core.ordering.model import Order, OrderLine
from commerce_core.shared.money import Money

NOW = datetime(2026, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


def new_id(prefix: str = "id") -> str:
    return f"{prefix}{next(_ids):06d}"


def a_user(email: str | None = None, name: str = "Ana") -> User:
    user_id = new_id("u")
    return User.register(
        user_id=user_id, email=Email(email or f"{user_id}@example.com"), name=name,
        password_hash="$argon2id$fake", role=Role.CUSTOMER, now=NOW,
    )


def a_product(
    *, name: str = "Widget", sku: str | None = None, price: str = "10.00",
    category: str = "tools", description: str = "A useful thing", stock: int = 10,
    created_at: datetime = NOW,
) -> Product:
    product_id = new_id("p")
    return Product.create(
        product_id=product_id, sku=sku or f"SKU-{product_id}", name=name,
        description=description, category=category, price=Money(Decimal(price), "EUR"),
        initial_stock=stock, low_stock_threshold=5, now=created_at,
    )


def a_stock(product_id: str, initial: int = 10, threshold: int = 2) -> Stock:
    return Stock.open(product_id, initial=initial, low_stock_threshold=threshold, now=NOW)


def an_order(user_id: str, products: list[tuple[Product, int]], order_id: str | None = None
             ) -> Order:
    lines = [OrderLine(p.id, p.sku, p.name, q, p.price) for p, q in products]
    return Order.place(order_id=order_id or new_id("o"), user_id=user_id, lines=lines,
                       payment_method="tok_visa", now=NOW)


def a_reservation(order_id: str, stocks: dict[str, Stock], items: list[tuple[str, int]],
                  ttl: timedelta = timedelta(minutes=15), now: datetime = NOW) -> Reservation:
    return Reservation.hold(order_id, items, stocks, now=now, ttl=ttl)
