"""Fixtures for the benchmarks: an embedded shop on its own event loop, driven from sync code.

pytest-benchmark times plain callables, so each benchmark gets a private loop and runs its timed
part with ``loop.run_until_complete``. Setup (users, products) happens outside the timed part.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from adapters.security.passwords import Argon2PasswordHasher
from adapters.system import ManualClock
from entrypoints.container import Container, build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings

T = TypeVar("T")


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


@pytest.fixture
def loop_shop() -> Iterator[LoopShop]:
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
