"""Run by test_multiprocess_writers.py: adds one unit of stock ``count`` times, one command each."""

from __future__ import annotations

import asyncio
import sys

from commerce_core.inventory.commands import AdjustStock
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings


async def main(url: str, product_id: str, count: str) -> None:
    async with open_shop(container=build_container(Settings(database_url=url))) as shop:
        for n in range(int(count)):
            await shop.handle(AdjustStock(product_id=product_id, delta=1, reason="supplier",
                                          reference=f"pid-{n}"))
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
