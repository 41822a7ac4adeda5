"""The in-process workers prune the inbox on their own, every COMMERCE_INBOX_PRUNE_INTERVAL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters.system import ManualClock
from commerce_core.shared.unit_of_work import AlreadyProcessed
from entrypoints.container import build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings


async def _is_new(shop: Shop, message_id: str) -> bool:
    uow = shop.container.uow()
    uow.handling("worker-test", message_id)
    try:
        async with uow:
            await uow.commit()
    except AlreadyProcessed:
        return False
    return True


async def _until(condition, timeout_s: float = 2.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "the worker did not prune in time"
        await asyncio.sleep(0.01)


async def test_the_background_loop_forgets_old_ids_and_keeps_recent_ones() -> None:
    clock = ManualClock()
    container = build_container(Settings(inbox_retention_days=2, inbox_prune_interval_s=0.02))
    container.clock.override(clock)
    async with open_shop(container=container, background=True) as shop:
        store = container.memory_store()
        assert await _is_new(shop, "old")
        await asyncio.sleep(0.1)  # a few rounds of the loop: too young to go
        clock.advance(timedelta(days=2))
        assert await _is_new(shop, "recent")
        clock.advance(timedelta(seconds=1))

        async def old_is_gone() -> bool:
            return ("worker-test", "old") not in store.inbox

        await _until(old_is_gone)
        await asyncio.sleep(0.1)
        assert ("worker-test", "recent") in store.inbox
        assert not await _is_new(shop, "recent")
