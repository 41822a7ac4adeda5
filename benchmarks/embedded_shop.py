"""An embedded shop on its own event loop, driven from sync code, and the checkout saga that the
throughput benchmark and the instruction count both run: the whole saga (``SagaRun``: add to
cart, then checkout) and the saga from checkout on (``CheckoutRun``: carts filled apart).

pytest-benchmark times plain callables, so the shop gets a private loop and its timed part runs
with ``loop.run_until_complete``. Setup (users, products, and for ``CheckoutRun`` the carts)
happens outside the timed part.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from adapters.security.passwords import Argon2PasswordHasher
from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.ordering.commands import Checkout
from entrypoints.container import Container, build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings

T = TypeVar("T")
CUSTOMERS = 10
PAYMENT_TOKEN = "tok_visa"


class LoopShop:
    """An open shop plus the loop it lives on."""

    def __init__(self, loop: asyncio.AbstractEventLoop, shop: Shop, container: Container) -> None:
        self.loop = loop
        self.shop = shop
        self.container = container

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def handle(self, message: object) -> Any:
        return self.run(self.shop.handle(message))

    def timed(self, make: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
        """A sync callable for pytest-benchmark that runs one fresh coroutine on the loop."""
        return lambda: self.loop.run_until_complete(make())


@contextmanager
def loop_shop_open() -> Iterator[LoopShop]:
    loop = asyncio.new_event_loop()
    container = build_container(Settings(payment_timeout_s=5.0))
    container.clock.override(ManualClock())
    # OWASP parameters cost ~40 ms a hash and are not what this measures.
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    context = open_shop(container=container)
    shop = loop.run_until_complete(context.__aenter__())
    try:
        yield LoopShop(loop, shop, container)
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


class _Stocked:
    """``customers`` registered users and one product with stock for ``capacity`` sagas."""

    def __init__(self, loop_shop: LoopShop, capacity: int, customers: int) -> None:
        self.customers = [
            loop_shop.handle(RegisterUser(f"bench{n}@example.com", "correct horse", f"B{n}")).id
            for n in range(customers)
        ]
        self.product_id = loop_shop.handle(
            CreateProduct(
                sku="BENCH-1", name="Bench widget", description="", category="bench",
                price=Decimal("9.99"), currency="EUR", stock=capacity + 1000,
            )
        ).id
        self._handle = loop_shop.shop.handle


class SagaRun(_Stocked):
    """Customers and one product with stock for ``capacity`` sagas; ``sagas(n)`` makes the
    coroutine that runs n whole sagas (add to cart, checkout: reserve, charge, confirm, commit
    the stock, notify; all before ``handle`` returns)."""

    def __init__(self, loop_shop: LoopShop, capacity: int) -> None:
        super().__init__(loop_shop, capacity, CUSTOMERS)

    async def sagas(self, count: int) -> None:
        handle, customers, product_id = self._handle, self.customers, self.product_id
        for n in range(count):
            user_id = customers[n % len(customers)]
            await handle(AddToCart(user_id, product_id, 1))
            await handle(Checkout(user_id=user_id, payment_token=PAYMENT_TOKEN))


class CheckoutRun(_Stocked):
    """The saga from checkout on, its carts filled apart: ``customers`` users (registered once,
    reused: checkout empties a cart) and one product with stock for ``capacity`` checkouts.
    ``fill_carts(n)`` puts one line in the carts of the first n customers; ``checkouts(n)``
    checks those n carts out (order, reserve, charge, confirm, commit the stock, notify; all
    before ``handle`` returns)."""

    async def fill_carts(self, count: int) -> None:
        handle, product_id = self._handle, self.product_id
        for user_id in self._first(count):
            await handle(AddToCart(user_id, product_id, 1))

    async def checkouts(self, count: int) -> None:
        handle = self._handle
        for user_id in self._first(count):
            await handle(Checkout(user_id=user_id, payment_token=PAYMENT_TOKEN))

    def _first(self, count: int) -> list[str]:
        if count > len(self.customers):
            raise ValueError(f"{count} carts but only {len(self.customers)} customers")
        return self.customers[:count]
