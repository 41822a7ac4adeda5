"""Live consumption: every integration event goes to the journal, then into the read models.

The journal is written first: an event the read models hold is always in the history a replay
reads. Both are idempotent by ``message_id``, so a redelivery (the relay, a broker) changes
nothing, and a batch that failed halfway is simply delivered again.

With ``batch_size`` 1 (the default) an event is stored before its handler returns, which is what
a broker's ack after the handler needs. A larger batch buffers: ``consume`` returns at once and
the batch is stored when it is full, ``flush_delay_s`` after its first event, or on ``flush``.
Whoever acknowledges the events (the outbox's "delivered" mark) must then wait for the flush
(``after_flush``), so that a crash before it loses nothing: the events stay undelivered and come
back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from commerce_core.reporting.ports import EventJournal, ReportingStore
from commerce_core.shared.events import Event

log = logging.getLogger(__name__)

FlushListener = Callable[[list[Event]], Awaitable[None]]


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
        self._listeners: list[FlushListener] = []

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def after_flush(self, listener: FlushListener) -> None:
        """Calls ``listener`` with each batch once it is stored."""
        self._listeners.append(listener)

    async def consume(self, event: Event) -> None:
        self._buffer.append(event)
        if len(self._buffer) >= self._batch_size:
            await self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                self._flush_delay_s, self._flush_later
            )

    async def flush(self) -> int:
        """Stores whatever is buffered; returns how many events were stored."""
        async with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            batch, self._buffer = self._buffer, []
            if not batch:
                return 0
            try:
                await self._journal.append(batch)
                await self._store.ingest(batch)
            except BaseException:
                self._buffer[:0] = batch  # kept for the next flush; nothing was acknowledged
                raise
        for listener in self._listeners:
            await listener(batch)
        return len(batch)

    async def close(self) -> None:
        """Stores what is left (a shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await asyncio.gather(*self._flushing, return_exceptions=True)
        await self.flush()

    def _flush_later(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self._flush_logged())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush_logged(self) -> int:
        try:
            return await self.flush()
        except Exception:
            log.exception("reporting flush failed; the batch waits for the next one")
            return 0
