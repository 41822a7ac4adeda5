"""Builders shared by the unit tests: a few lines of setup per test, through the public commands."""

from __future__ import annotations

import itertools
from decimal import Decimal

from adapters.memory.notifier import RecordingNotifier
from adapters.payments.sandbox import SandboxGateway
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct, GetProduct
from commerce_core.catalog.model import Product
from commerce_core.identity.commands import RegisterUser
from commerce_core.identity.model import User
from commerce_core.inventory.commands import GetStock, ListMovements
from commerce_core.inventory.model import Movement, Stock
from commerce_core.ordering.commands import Checkout, GetOrder
from commerce_core.ordering.model import Order
from commerce_core.shared.events import Event
from entrypoints.embedded import Shop

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


async def a_customer(shop: Shop, *, name: str = "Ana", email: str | None = None) -> User:
    email = email or f"{unique('customer')}@example.com"
    user: User = await shop.handle(RegisterUser(email, PASSWORD, name))
    return user


async def a_product(
    shop: Shop,
    *,
    name: str = "Widget",
    description: str = "A useful thing",
    category: str = "tools",
    price: str = "10.00",
    currency: str = "EUR",
    stock: int = 10,
    sku: str | None = None,
    low_stock_threshold: int = 5,
) -> Product:
    product: Product = await shop.handle(
        CreateProduct(
            sku=sku or unique("SKU-"),
            name=name,
            description=description,
            category=category,
            price=Decimal(price),
            currency=currency,
            stock=stock,
            low_stock_threshold=low_stock_threshold,
        )
    )
    return product


async def product_now(shop: Shop, product_id: str) -> Product:
    product: Product = await shop.handle(GetProduct(product_id, include_inactive=True))
    return product


async def stock_of(shop: Shop, product_id: str) -> Stock:
    stock: Stock = await shop.handle(GetStock(product_id))
    return stock


async def movements_of(shop: Shop, product_id: str) -> list[Movement]:
    movements: list[Movement] = await shop.handle(ListMovements(product_id))
    return movements


async def place_order(
    shop: Shop, user: User, lines: list[tuple[Product, int]], *, token: str = "tok_visa"
) -> Order:
    """Fills the cart and checks out; returns the order as the saga left it."""
    for product, quantity in lines:
        await shop.handle(AddToCart(user.id, product.id, quantity))
    placed: Order = await shop.handle(Checkout(user_id=user.id, payment_token=token))
    return await order_now(shop, placed.id)


async def order_now(shop: Shop, order_id: str) -> Order:
    order: Order = await shop.handle(GetOrder(order_id=order_id, requested_by="", as_admin=True))
    return order


def gateway(shop: Shop) -> SandboxGateway:
    gateway: SandboxGateway = shop.container.gateway()
    return gateway


def notifier(shop: Shop) -> RecordingNotifier:
    notifier: RecordingNotifier = shop.container.notifier()
    return notifier


class EventLog:
    """Every event the shop's bus delivers, in order."""

    def __init__(self, shop: Shop) -> None:
        self.events: list[Event] = []
        shop.bus.observe(self.events.append)

    def of(self, event_type: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, event_type)]

    def clear(self) -> None:
        self.events.clear()
