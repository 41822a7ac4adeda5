"""Live consumption: every integration event goes to the journal, then into the read models.

The journal is written first: an event the read models hold is always in the history a replay
reads. Both are idempotent by ``message_id``, so a redelivery (the relay, a broker) changes
nothing, and a batch that failed halfway is simply delivered again.

With ``batch_size`` 1 (the default) an event is stored before its handler returns, which is what
a broker's ack after the handler needs. A larger batch buffers: ``consume`` returns at once and
the batch is stored when it is full, on ``flush``, or at the latest ``flush_delay_s`` after its
first event: two transactions per batch instead of two per event. Whoever acknowledges the events
must then wait for the flush: ``OutboxMarkedAfterReports`` flushes before the outbox's "delivered"
mark, so a crash before the flush loses nothing (the rows stay in the outbox, the relay delivers
them again, the journal and the store skip what they have).
"""

from __future__ import annotations

import asyncio
import logging

from commerce_core.reporting.ports import EventJournal, ReportingStore
from commerce_core.shared.events import Event
from commerce_core.shared.messagebus import Outbox

log = logging.getLogger(__name__)


class ReportingConsumer:
    def __init__(
        self,
        journal: EventJournal,
        store: ReportingStore,
        *,
        batch_size: int = 1,
        flush_delay_s: float = 0.05,
    ) -> None:
        self._journal = journal
        self._store = store
        self._batch_size = max(1, batch_size)
        self._flush_delay_s = flush_delay_s
        self._buffer: list[Event] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[int]] = set()
        self.consumed = 0  # events handed to ``consume`` so far
        self.stored = 0  # of those, how many the journal and the store hold (in order)

    @property
    def pending(self) -> int:
        return self.consumed - self.stored

    async def consume(self, event: Event) -> None:
        self._buffer.append(event)
        self.consumed += 1
        if len(self._buffer) >= self._batch_size:
            await self.flush()
        elif self._timer is None:
            # The timer is a safety net for events nobody flushes. An acknowledger flushes every
            # dispatch, so a timer per batch would nearly always be cancelled: one stays armed
            # instead (``flush`` leaves it), and when it fires it stores what is still pending.
            # An event thus waits at most ``flush_delay_s``; an idle consumer arms nothing.
            self._timer = asyncio.get_running_loop().call_later(
                self._flush_delay_s, self._flush_later
            )

    async def flush(self) -> int:
        """Stores whatever is buffered; returns how many events were stored."""
        async with self._lock:
            batch, self._buffer = self._buffer, []
            if not batch:
                return 0
            try:
                await self._journal.append(batch)
                await self._store.ingest(batch)
            except BaseException:
                self._buffer[:0] = batch  # kept for the next flush; nothing was acknowledged
                raise
            self.stored += len(batch)
        return len(batch)

    async def flush_quietly(self) -> int:
        """``flush`` for a reader about to report: what is buffered is stored first, and a failed
        flush is logged, not raised (the report shows what is stored; the batch waits)."""
        if not self.pending:
            return 0
        return await self._flush_logged()

    async def close(self) -> None:
        """Stores what is left (a shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await asyncio.gather(*self._flushing, return_exceptions=True)
        await self.flush()

    def _flush_later(self) -> None:
        self._timer = None
        if not self.pending:
            return  # flushed since the timer was armed
        task = asyncio.get_running_loop().create_task(self._flush_logged())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush_logged(self) -> int:
        try:
            return await self.flush()
        except Exception:
            log.exception("reporting flush failed; the batch waits for the next one")
            return 0


class OutboxMarkedAfterReports:
    """The outbox as the bus sees it when reporting buffers: before the events of a dispatch are
    marked delivered, whatever reporting holds unstored is flushed (one flush per dispatch, and
    concurrent dispatches share it). If the flush fails the marks are skipped: the rows stay in
    the outbox and the relay delivers them again. Everything else goes straight to the outbox."""

    def __init__(self, outbox: Outbox, consumer: ReportingConsumer) -> None:
        self._outbox = outbox
        self._consumer = consumer

    async def pending(self, *, limit: int, min_age_s: float) -> list[Event]:
        return await self._outbox.pending(limit=limit, min_age_s=min_age_s)

    async def mark_delivered(self, message_ids: list[str]) -> None:
        if self._consumer.pending:
            try:
                await self._consumer.flush()
            except Exception:
                log.exception("reporting could not store its events; the relay delivers them again")
                return
        await self._outbox.mark_delivered(message_ids)

    async def backlog(self) -> int:
        return await self._outbox.backlog()

    async def oldest_age_s(self) -> float:
        return await self._outbox.oldest_age_s()
