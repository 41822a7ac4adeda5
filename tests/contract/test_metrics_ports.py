"""What /metrics reads, the same on every backend: the outbox's oldest age and the count of
notifications per status."""

from __future__ import annotations

import asyncio

from helpers import a_product

from commerce_core.identity.commands import RegisterUser
from commerce_core.notifications.commands import CountNotifications
from entrypoints.embedded import Shop


async def test_the_oldest_outbox_row_has_an_age(shop: Shop) -> None:
    outbox = shop.container.outbox()
    assert await outbox.oldest_age_s() == 0.0
    async with shop.container.uow() as uow:  # written, not dispatched: it waits in the outbox
        uow.products.add(a_product())
        await uow.commit()
    await asyncio.sleep(0.05)
    assert await outbox.backlog() == 1
    age = await outbox.oldest_age_s()
    assert 0.04 <= age < 60


async def test_notifications_are_counted_by_status(shop: Shop) -> None:
    assert await shop.handle(CountNotifications()) == {}
    for n in range(3):  # each registration sends a welcome notification
        await shop.handle(RegisterUser(f"user{n}@example.com", "correct horse battery", "Ana"))
    assert await shop.handle(CountNotifications()) == {"SENT": 3}
