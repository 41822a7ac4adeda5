"""Rebuilding the read models from the whole event history."""

from __future__ import annotations

from collections.abc import Callable

from commerce_core.reporting.ports import EventJournal, ReportingStore

Progress = Callable[[int, int], None]  # events replayed so far, events in the journal


async def rebuild(
    journal: EventJournal,
    store: ReportingStore,
    *,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> int:
    """Forgets every figure, then folds the journal in, in its order, a batch at a time; returns
    how many events were replayed. Run it while no consumer feeds the store: an event folded
    live during the replay would be folded before the history that precedes it."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    total = await journal.count()
    await store.reset()
    replayed = position = 0
    while page := await journal.read(after=position, limit=batch_size):
        await store.ingest([event for _, event in page])
        position = page[-1][0]
        replayed += len(page)
        if progress is not None:
            progress(replayed, max(total, replayed))
    return replayed
