"""The public entry for applications that embed commerce-core.

    async with open_shop() as shop:                       # in memory unless settings say otherwise
        user = await shop.handle(RegisterUser("ana@example.com", "correct horse", "Ana"))

``shop.handle`` takes any command or query of ``commerce_core`` and returns its result; the saga's
events run in process before it returns. ``background=True`` also runs the reservation sweeper,
the outbox relay and the notification retries as tasks for as long as the shop is open.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from commerce_core.shared.messagebus import MessageBus
from entrypoints.container import Container, build_container
from entrypoints.settings import Settings
from entrypoints.workers import start_in_process_workers, stop_workers


class Shop:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.bus: MessageBus = container.bus()

    async def handle(self, message: object) -> Any:
        return await self.bus.handle(message)


@contextlib.asynccontextmanager
async def open_shop(
    settings: Settings | None = None,
    *,
    container: Container | None = None,
    background: bool = False,
) -> AsyncIterator[Shop]:
    container = container or build_container(settings or Settings())
    init = container.init_resources()
    if init is not None:
        await init
    shop = Shop(container)
    tasks: list[asyncio.Task[None]] = []
    if background:
        tasks = start_in_process_workers(shop.bus, container.outbox(), container.settings())
    try:
        yield shop
    finally:
        await stop_workers(tasks)
        shutdown = container.shutdown_resources()
        if shutdown is not None:
            await shutdown
