"""The batch pipeline into the warehouse: the event journal is the log, ClickHouse the sink.

Live, ``WarehouseFeed`` takes the place of the reporting consumer: each event is appended to the
journal before its handler returns (so the outbox marks it delivered, or the broker gets its ack,
only once it is durable there), and the warehouse is loaded from the journal in bulk, when
``batch_size`` events are waiting or ``flush_delay_s`` after the first of them.

``WarehouseLoader`` reads the journal from the warehouse's own checkpoint, folds a page at a time
(one bulk INSERT per table) and commits the page's last journal position with the batch's commit
row: the figures and the checkpoint move together. A crash before that commit loses nothing (the
page is read again) and counts nothing twice (the uncommitted rows are invisible, and ids already
folded are filtered by message id). ``commerce analytics backfill`` runs the same loader from the
start of the history.

One loader per warehouse: batches fold over the committed state, so two loaders running at once
would both fold the same page. ``COMMERCE_CLICKHOUSE_LOADER=off`` keeps a process (all but one
worker) to journalling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from adapters.clickhouse.reporting import ClickHouseReportingStore
from commerce_core.reporting.ports import EventJournal
from commerce_core.shared.events import Event

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # journal position reached, events in the journal

# A journal written by concurrent transactions can commit position 100 after 101 is read: every
# load reads this far back again (already folded ids are filtered, so it only costs a lookup).
REREAD = 1000


class WarehouseLoader:
    def __init__(
        self, journal: EventJournal, warehouse: ClickHouseReportingStore, *, batch_size: int = 5000
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.journal = journal
        self.warehouse = warehouse
        self.batch_size = batch_size
        self._lock = asyncio.Lock()

    async def load(self, *, progress: Progress | None = None, reread: int = REREAD) -> int:
        """Loads every journal event past the checkpoint; returns how many were new."""
        async with self._lock:
            checkpoint = await self.warehouse.journal_position()
            total = await self.journal.count()
            position = max(0, checkpoint - reread)
            loaded = 0
            while page := await self.journal.read(after=position, limit=self.batch_size):
                loaded += await self.warehouse.ingest_page(page)
                position = page[-1][0]
                if progress is not None:
                    progress(position, max(total, position))
            return loaded


class WarehouseFeed:
    """The live consumer when the reports come from the warehouse (see the module's doc)."""

    def __init__(
        self,
        journal: EventJournal,
        loader: WarehouseLoader | None,
        *,
        batch_size: int = 5000,
        flush_delay_s: float = 1.0,
    ) -> None:
        self._journal = journal
        self._loader = loader
        self._batch_size = max(1, batch_size)
        self._flush_delay_s = flush_delay_s
        self._waiting = 0
        self._timer: asyncio.TimerHandle | None = None
        self._loading: set[asyncio.Task[int]] = set()

    @property
    def pending(self) -> int:
        """Events journalled since the last load started."""
        return self._waiting

    async def consume(self, event: Event) -> None:
        await self._journal.append([event])
        if self._loader is None:
            return
        self._waiting += 1
        if self._waiting >= self._batch_size:
            self._start_load()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._flush_delay_s, self._start_load)

    async def flush(self) -> int:
        """Loads what the journal holds past the checkpoint, now."""
        if self._loader is None:
            return 0
        self._cancel_timer()
        self._waiting = 0
        return await self._loader.load()

    async def close(self) -> None:
        self._cancel_timer()
        await asyncio.gather(*self._loading, return_exceptions=True)
        if self._waiting:
            await self.flush()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start_load(self) -> None:
        self._cancel_timer()
        self._waiting = 0
        task = asyncio.get_running_loop().create_task(self._load_logged())
        self._loading.add(task)
        task.add_done_callback(self._loading.discard)

    async def _load_logged(self) -> int:
        assert self._loader is not None
        try:
            return await self._loader.load()
        except Exception:
            # The events are in the journal; the next load (or a backfill) picks them up.
            log.exception("loading the warehouse failed; the journal keeps the events")
            return 0
