from __future__ import annotations

import time

from adapters.memory.store import MemoryStore
from commerce_core.shared.events import Event


class MemoryOutbox:
    """The relay's side of the in-memory outbox. Delivered rows are dropped to bound memory."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def pending(self, *, limit: int, min_age_s: float) -> list[Event]:
        cutoff = time.monotonic() - min_age_s
        events: list[Event] = []
        for row in self._store.outbox.values():
            if row.written_at > cutoff or len(events) >= limit:
                break
            events.append(row.event)
        return events

    async def mark_delivered(self, message_ids: list[str]) -> None:
        outbox = self._store.outbox
        for message_id in message_ids:
            outbox.pop(message_id, None)

    async def backlog(self) -> int:
        return len(self._store.outbox)

    async def oldest_age_s(self) -> float:
        oldest = next(iter(self._store.outbox.values()), None)  # insertion ordered
        return 0.0 if oldest is None else max(0.0, time.monotonic() - oldest.written_at)
