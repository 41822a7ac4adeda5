"""The inbox forgets what was handled longer ago than the retention, on every backend: old
message ids go (a redelivery would be handled again), recent ones stay (still a no-op)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.system import ManualClock
from commerce_core.shared.errors import InvalidInput
from commerce_core.shared.inbox_retention import PruneInbox
from commerce_core.shared.unit_of_work import AlreadyProcessed
from entrypoints.embedded import Shop
from entrypoints.workers import prune_inbox_once

CONSUMER = "contract-test"


async def _handle(shop: Shop, message_id: str) -> bool:
    """Handles the message through a unit of work: True if it was new, False if the inbox
    knew it (and nothing was done)."""
    uow = shop.container.uow()
    uow.handling(CONSUMER, message_id)
    try:
        async with uow:
            await uow.commit()
    except AlreadyProcessed:
        return False
    return True


async def test_old_message_ids_go_and_recent_ones_stay(shop: Shop, clock: ManualClock) -> None:
    assert await _handle(shop, "m-old-1")
    assert await _handle(shop, "m-old-2")
    assert await shop.handle(PruneInbox(keep_days=7)) == 0  # nothing is a week old yet
    clock.advance(timedelta(days=5))
    assert await _handle(shop, "m-recent")
    assert await shop.handle(PruneInbox(keep_days=7)) == 0
    clock.advance(timedelta(days=3))  # the first two: 8 days ago; the recent one: 3 days ago

    assert await prune_inbox_once(shop.bus, keep_days=7, batch=1) == 2  # in batches of one
    assert await shop.handle(PruneInbox(keep_days=7)) == 0  # twice: nothing more to do
    assert not await _handle(shop, "m-recent")  # still known: its redelivery is a no-op
    assert await _handle(shop, "m-old-1")  # forgotten: handled as new
    assert not await _handle(shop, "m-old-1")  # and known again from now on


async def test_other_consumers_rows_are_pruned_by_age_alone(shop: Shop, clock: ManualClock) -> None:
    uow = shop.container.uow()
    uow.handling("another-consumer", "m-1")
    async with uow:
        await uow.commit()
    assert await _handle(shop, "m-1")
    await shop.handle(PruneInbox(keep_days=1))
    clock.advance(timedelta(days=1, seconds=1))
    assert await shop.handle(PruneInbox(keep_days=1)) == 2


@pytest.mark.parametrize(("keep_days", "limit"), [(0, 10), (-1, 10), (3651, 10), (7, 0)])
async def test_a_bad_retention_or_batch_is_refused(shop: Shop, keep_days: int, limit: int) -> None:
    with pytest.raises(InvalidInput):
        await shop.handle(PruneInbox(keep_days=keep_days, limit=limit))
