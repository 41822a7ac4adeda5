"""Pruning the embedded inbox. The store keeps it as a set of (consumer, message_id) without
times, so each entry is dated by the first prune that sees it and forgotten once that date is
older than the retention: an id is kept at least as long as in SQL, at most one prune longer."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.memory.store import MemoryStore


class MemoryProcessedMessages:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._first_seen: dict[tuple[str, str], datetime] = {}

    async def forget(self, now: datetime, keep: timedelta, *, limit: int) -> int:
        inbox = self._store.inbox
        for entry in inbox:
            self._first_seen.setdefault(entry, now)
        cutoff = now - keep
        old = [entry for entry, seen in self._first_seen.items() if seen < cutoff][:limit]
        for entry in old:
            inbox.discard(entry)
            del self._first_seen[entry]
        return len(old)
