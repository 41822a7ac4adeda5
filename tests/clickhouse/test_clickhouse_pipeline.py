"""The batch pipeline: journal -> warehouse in bulk, checkpointed with the batch's commit, so a
crash between the inserts and the commit loses nothing and counts nothing twice; the warehouse's
figures equal the read models rebuilt from the same history."""

from __future__ import annotations

import asyncio

import pytest
from clickhouse_history import history
from test_clickhouse_reporting import CrashBeforeCommit, DiesBeforeCommit, every_report

from adapters.clickhouse.connection import ClickHouse
from adapters.clickhouse.pipeline import WarehouseFeed, WarehouseLoader
from adapters.clickhouse.reporting import ClickHouseReportingStore
from adapters.memory.reporting import MemoryEventJournal, MemoryReportingStore
from commerce_core.reporting.replay import rebuild
from commerce_core.shared.events import Event

pytestmark = pytest.mark.integration


async def journal_of(events: list) -> MemoryEventJournal:
    journal = MemoryEventJournal()
    await journal.append(events)
    return journal


async def committed_batches(ch: ClickHouse) -> int:
    rows = await ch.execute("SELECT count() FROM reporting_batches WHERE events > 0")
    return int(rows[0][0])


async def test_the_backfill_equals_a_replay_of_the_same_history(
    clickhouse_store: ClickHouseReportingStore, clickhouse: ClickHouse
) -> None:
    events = history(seed=11)
    journal = await journal_of(events)
    seen: list[tuple[int, int]] = []
    loader = WarehouseLoader(journal, clickhouse_store, batch_size=400)
    assert await loader.load(progress=lambda done, total: seen.append((done, total))) == len(events)
    assert seen[-1] == (len(events), len(events))
    assert await committed_batches(clickhouse) == -(-len(events) // 400)
    assert await clickhouse_store.journal_position() == len(events)

    replayed = MemoryReportingStore()
    await rebuild(journal, replayed, batch_size=97)
    assert await every_report(clickhouse_store) == await every_report(replayed)

    assert await loader.load() == 0  # a second backfill finds nothing new


async def test_a_loader_that_dies_before_the_commit_loses_and_doubles_nothing(
    clickhouse_store: ClickHouseReportingStore, clickhouse: ClickHouse
) -> None:
    events = history(seed=12, orders=120)
    journal = await journal_of(events[:500])
    await WarehouseLoader(journal, clickhouse_store, batch_size=200).load()
    await journal.append(events[500:])

    dying = WarehouseLoader(journal, DiesBeforeCommit(clickhouse), batch_size=10_000)
    with pytest.raises(CrashBeforeCommit):
        await dying.load()
    assert await clickhouse_store.journal_position() == 500  # the checkpoint did not move

    # The restarted loader reads the page again (and 1000 positions before it, filtered).
    assert await WarehouseLoader(journal, clickhouse_store).load() == len(events) - 500
    replayed = MemoryReportingStore()
    await rebuild(journal, replayed)
    assert await every_report(clickhouse_store) == await every_report(replayed)


async def test_the_live_feed_journals_each_event_and_loads_in_bulk(
    clickhouse_store: ClickHouseReportingStore, clickhouse: ClickHouse
) -> None:
    events = history(seed=13, orders=100)
    journal = MemoryEventJournal()
    feed = WarehouseFeed(
        journal, WarehouseLoader(journal, clickhouse_store), batch_size=250, flush_delay_s=0.05
    )
    for event in events:
        await feed.consume(event)
        await feed.consume(event)  # a redelivery
    await asyncio.sleep(0.2)  # the timer loads the tail
    await feed.close()
    assert await journal.count() == len(events)
    assert await committed_batches(clickhouse) <= len(events) // 250 + 2

    replayed = MemoryReportingStore()
    await rebuild(journal, replayed)
    assert await every_report(clickhouse_store) == await every_report(replayed)


async def test_a_feed_without_a_loader_only_journals(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    journal = MemoryEventJournal()
    feed = WarehouseFeed(journal, None)
    for event in history(seed=14, orders=5):
        await feed.consume(event)
    assert await feed.flush() == 0
    assert await clickhouse_store.journal_position() == 0
    assert await journal.count() > 0


class GappyJournal:
    """A journal whose positions commit out of order, as concurrent transactions' serials do:
    position 4 shows up only after 5 was read."""

    def __init__(self) -> None:
        self.events: dict[int, Event] = {}

    async def append(self, events: list[Event]) -> int:
        raise NotImplementedError

    async def read(self, *, after: int, limit: int) -> list[tuple[int, Event]]:
        return [(p, self.events[p]) for p in sorted(self.events) if p > after][:limit]

    async def count(self) -> int:
        return len(self.events)


async def test_an_event_committed_late_at_an_earlier_position_is_still_loaded(
    clickhouse_store: ClickHouseReportingStore,
) -> None:
    events = history(seed=15, orders=30)
    journal = GappyJournal()
    late = 40
    journal.events = {p: e for p, e in enumerate(events, start=1) if p != late}
    loader = WarehouseLoader(journal, clickhouse_store, batch_size=100)  # type: ignore[arg-type]
    assert await loader.load() == len(events) - 1
    assert await clickhouse_store.journal_position() == len(events)

    journal.events[late] = events[late - 1]
    assert await loader.load() == 1  # read again from 1000 positions back
    replayed = MemoryReportingStore()
    await replayed.ingest(events)
    assert await every_report(clickhouse_store) == await every_report(replayed)
