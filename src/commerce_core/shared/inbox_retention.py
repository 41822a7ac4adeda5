"""How long the inbox remembers the messages each consumer handled.

The inbox makes a redelivery a no-op, and redeliveries come within minutes (a relay retry, a
broker's redelivery after a crash), so its rows need not live for ever: ``PruneInbox`` forgets
those older than the retention, in batches, and the workers run it periodically. A message
redelivered after that would be handled again, so the retention must outlast any redelivery.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from attrs import frozen

from commerce_core.shared.errors import InvalidInput
from commerce_core.shared.events import Command
from commerce_core.shared.ports import Clock

MAX_RETENTION_DAYS = 3650
MAX_PRUNE_BATCH = 100_000


class ProcessedMessages(Protocol):
    async def forget(self, now: datetime, keep: timedelta, *, limit: int) -> int:
        """Drops at most ``limit`` inbox rows of messages handled more than ``keep`` before
        ``now``; returns how many went. Rows handled since stay."""
        ...


@frozen(kw_only=True)
class PruneInbox(Command):
    keep_days: int
    limit: int = 10_000  # one batch: a short transaction; call again while a batch is full


async def prune_inbox(
    command: PruneInbox, processed_messages: ProcessedMessages, clock: Clock
) -> int:
    if not 1 <= command.keep_days <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"keep the inbox 1 to {MAX_RETENTION_DAYS} days, not {command.keep_days}",
            field="keep_days",
        )
    if not 1 <= command.limit <= MAX_PRUNE_BATCH:
        raise InvalidInput(f"a batch is 1 to {MAX_PRUNE_BATCH} rows", field="limit")
    return await processed_messages.forget(
        clock.now(), timedelta(days=command.keep_days), limit=command.limit
    )


COMMAND_HANDLERS = {PruneInbox: prune_inbox}
