"""Run by test_crash_safety.py: checks out with inline dispatch off, so the events stay in the
outbox; prints a marker once the order is committed and then waits to be killed (SIGKILL)."""

from __future__ import annotations

import asyncio
import sys

from adapters.security.passwords import Argon2PasswordHasher
from commerce_core.cart.commands import AddToCart
from commerce_core.ordering.commands import Checkout
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings

COMMITTED = "COMMITTED"


async def main(url: str, user_id: str, product_id: str) -> None:
    container = build_container(Settings(database_url=url))
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    async with open_shop(container=container) as shop:
        shop.bus.dispatch_inline = False
        await shop.handle(AddToCart(user_id, product_id, 2))
        order = await shop.handle(Checkout(user_id=user_id, payment_token="tok_visa"))
        print(COMMITTED, order.id, flush=True)
        await asyncio.Event().wait()  # the test kills us here


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
