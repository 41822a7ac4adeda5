"""The unit of work's contract: atomic commits, rollback by default, the outbox written with the
state change, the inbox refusing a second delivery, guarded concurrent writes."""

from __future__ import annotations

import asyncio

import pytest
from helpers import NOW, a_product, a_stock, a_user

from commerce_core.inventory.model import MovementReason
from commerce_core.notifications.model import Notification, NotificationStatus
from commerce_core.shared.errors import ConcurrencyConflict, EmailTaken, InsufficientStock
from commerce_core.shared.unit_of_work import AlreadyProcessed
from entrypoints.embedded import Shop


def uow_of(shop: Shop):  # type: ignore[no-untyped-def]
    return shop.container.uow()


async def test_leaving_without_commit_rolls_back(shop: Shop) -> None:
    user = a_user()
    uow = uow_of(shop)
    async with uow:
        uow.users.add(user)
    assert uow.collect_new_events() == []
    async with uow_of(shop) as fresh:
        assert await fresh.users.get(user.id) is None
    assert await shop.container.outbox().backlog() == 0


async def test_a_failure_mid_handler_leaves_the_database_as_before(shop: Shop) -> None:
    user, product, stock = a_user(), a_product(), a_stock("p-half", initial=3)

    async def handler() -> None:
        async with uow_of(shop) as uow:
            uow.users.add(user)
            uow.products.add(product)
            uow.stock.add(stock)
            raise RuntimeError("bad data half way")

    with pytest.raises(RuntimeError):
        await handler()
    async with uow_of(shop) as uow:
        assert await uow.users.get(user.id) is None
        assert await uow.products.get(product.id) is None
        assert await uow.stock.get("p-half") is None
        assert await uow.stock.movements("p-half") == []
    assert await shop.container.outbox().backlog() == 0


async def test_a_refused_commit_writes_nothing(shop: Shop) -> None:
    """A guard failing late in the commit (here the stock) undoes what was written before it."""
    await _store_stock(shop, "p-guard", 2)
    user = a_user()

    async def handler() -> None:
        async with uow_of(shop) as uow:
            uow.users.add(user)
            stock = await uow.stock.get("p-guard")
            assert stock is not None
            stock.on_hand = 100  # a stale in-memory figure the guard must not trust
            stock.reserve(5, "o-x", NOW)
            await uow.commit()

    with pytest.raises(InsufficientStock):
        await handler()
    async with uow_of(shop) as uow:
        assert await uow.users.get(user.id) is None
        stored = await uow.stock.get("p-guard")
        assert stored is not None
        assert (stored.on_hand, stored.reserved) == (2, 0)
        assert len(await uow.stock.movements("p-guard")) == 1
    assert await shop.container.outbox().backlog() == 0


async def _store_stock(shop: Shop, product_id: str, initial: int) -> None:
    async with uow_of(shop) as uow:
        uow.stock.add(a_stock(product_id, initial=initial))
        await uow.commit()
    await shop.container.outbox().mark_delivered(
        [e.message_id for e in await shop.container.outbox().pending(limit=100, min_age_s=0)]
    )


async def test_commit_writes_the_events_to_the_outbox(shop: Shop) -> None:
    user = a_user()
    uow = uow_of(shop)
    async with uow:
        uow.users.add(user)
        await uow.commit()
    events = uow.collect_new_events()
    assert [type(e).__name__ for e in events] == ["UserRegistered"]
    outbox = shop.container.outbox()
    assert await outbox.backlog() == 1
    assert await outbox.pending(limit=10, min_age_s=0) == events
    assert await outbox.pending(limit=10, min_age_s=60) == []


async def test_the_outbox_hands_out_oldest_first_and_forgets_delivered_rows(shop: Shop) -> None:
    users = [a_user() for _ in range(4)]
    for user in users:
        async with uow_of(shop) as uow:
            uow.users.add(user)
            await uow.commit()
    outbox = shop.container.outbox()
    pending = await outbox.pending(limit=3, min_age_s=0)
    assert [e.user_id for e in pending] == [u.id for u in users[:3]]
    await outbox.mark_delivered([pending[0].message_id, pending[2].message_id])
    assert await outbox.backlog() == 2
    left = await outbox.pending(limit=10, min_age_s=0)
    assert [e.user_id for e in left] == [users[1].id, users[3].id]


async def test_the_inbox_refuses_a_message_handled_before(shop: Shop) -> None:
    first = uow_of(shop)
    first.handling("tests.consumer", "m-1")
    async with first:
        first.users.add(a_user())
        await first.commit()
    again = uow_of(shop)
    again.handling("tests.consumer", "m-1")
    with pytest.raises(AlreadyProcessed):
        async with again:
            pass
    other_consumer = uow_of(shop)
    other_consumer.handling("tests.other", "m-1")
    async with other_consumer:
        await other_consumer.commit()


async def test_the_inbox_is_written_only_with_a_commit(shop: Shop) -> None:
    failed = uow_of(shop)
    failed.handling("tests.consumer", "m-2")
    async with failed:
        pass  # no commit: the message counts as not handled
    retry = uow_of(shop)
    retry.handling("tests.consumer", "m-2")
    async with retry:
        await retry.commit()


async def test_racing_deliveries_of_one_message_take_effect_once(shop: Shop) -> None:
    async def deliver() -> bool:
        uow = uow_of(shop)
        uow.handling("tests.race", "m-3")
        try:
            async with uow:
                await asyncio.sleep(0)
                uow.users.add(a_user())
                await uow.commit()
        except AlreadyProcessed:
            return False
        return True

    outcomes = await asyncio.gather(*(deliver() for _ in range(5)))
    assert outcomes.count(True) == 1
    assert await shop.container.outbox().backlog() == 1


async def test_writes_from_a_stale_read_never_both_win(shop: Shop) -> None:
    """Two transactions change one aggregate. Either they are serialised (SQLite admits one writer)
    and both apply, or the second is refused with ConcurrencyConflict: never a lost update."""
    notification = Notification(
        id="n-race", user_id="u", channel="email", template="t", recipient="a@example.com",
        subject="s", body="b", status=NotificationStatus.PENDING, created_at=NOW,
    )
    async with uow_of(shop) as uow:
        uow.notifications.add(notification)
        await uow.commit()
    loaded = asyncio.Event()

    async def fail_once(wait: bool) -> bool:
        try:
            async with uow_of(shop) as uow:
                stored = await uow.notifications.get("n-race")
                assert stored is not None
                loaded.set()
                if wait:
                    await asyncio.sleep(0.2)  # the other writer goes first, if it can
                stored.failed("boom", now=NOW)
                await uow.commit()
        except ConcurrencyConflict:
            return False
        return True

    first = asyncio.create_task(fail_once(wait=True))
    await loaded.wait()
    second = await fail_once(wait=False)
    successes = [await first, second].count(True)
    async with uow_of(shop) as uow:
        stored = await uow.notifications.get("n-race")
    assert stored is not None
    assert successes >= 1
    assert stored.attempts == successes


async def test_concurrent_reservations_never_oversell(shop: Shop) -> None:
    await _store_stock(shop, "p-hot", 5)

    async def reserve(order: int) -> bool:
        try:
            async with uow_of(shop) as uow:
                stock = await uow.stock.get("p-hot")
                assert stock is not None
                await asyncio.sleep(0)
                if stock.available < 1:
                    return False
                stock.reserve(1, f"o-{order}", NOW)
                await uow.commit()
        except InsufficientStock:
            return False
        return True

    outcomes = await asyncio.gather(*(reserve(i) for i in range(20)))
    assert outcomes.count(True) == 5
    async with uow_of(shop) as uow:
        stock = await uow.stock.get("p-hot")
        movements = await uow.stock.movements("p-hot")
    assert stock is not None
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 5, 0)
    assert sum(m.delta_reserved for m in movements) == 5
    assert sum(m.delta_on_hand for m in movements) == stock.on_hand


async def test_stock_deltas_apply_to_the_stored_figures(shop: Shop) -> None:
    """Two adjustments from the same read both land: stock is written as deltas, not values."""
    await _store_stock(shop, "p-delta", 10)
    loaded = asyncio.Event()

    async def adjust(delta: int, wait: bool) -> None:
        async with uow_of(shop) as uow:
            stock = await uow.stock.get("p-delta")
            assert stock is not None
            loaded.set()
            if wait:
                await asyncio.sleep(0.1)
            stock.adjust(delta, MovementReason.SUPPLIER, None, NOW)
            await uow.commit()

    task = asyncio.create_task(adjust(5, wait=True))
    await loaded.wait()
    await adjust(7, wait=False)
    await task
    async with uow_of(shop) as uow:
        stock = await uow.stock.get("p-delta")
    assert stock is not None
    assert stock.on_hand == 22


async def test_a_second_commit_in_one_block_is_its_own_transaction(shop: Shop) -> None:
    first, second = a_user(), a_user()
    await _store_stock(shop, "p-two", 5)

    async def handler() -> None:
        async with uow_of(shop) as uow:
            uow.users.add(first)
            await uow.commit()
            stock = await uow.stock.get("p-two")
            assert stock is not None
            stock.reserve(2, "o-two", NOW)
            uow.users.add(second)
            await uow.commit()
            stock.reserve(1, "o-three", NOW)
            uow.users.add(a_user(second.email))  # refused at commit: nothing of this part lands
            await uow.commit()

    with pytest.raises(EmailTaken):
        await handler()
    async with uow_of(shop) as uow:
        assert await uow.users.get(first.id) is not None
        assert await uow.users.get(second.id) is not None
        stock = await uow.stock.get("p-two")
        assert stock is not None
        assert (stock.on_hand, stock.reserved) == (5, 2)
