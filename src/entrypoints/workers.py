"""Background loops: the reservation sweeper, the outbox relay, notification retries and the
inbox's pruning (in process)."""

from __future__ import annotations

import asyncio
import logging

from commerce_core.notifications.commands import RetryFailedNotifications
from commerce_core.ordering.commands import ExpireReservations
from commerce_core.shared.inbox_retention import PruneInbox
from commerce_core.shared.messagebus import MessageBus, Outbox
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


async def run_sweeper(bus: MessageBus, *, interval_s: float) -> None:
    while True:
        try:
            await bus.handle(ExpireReservations())
        except Exception:  # one bad sweep must not stop the next
            log.exception("reservation sweep failed")
        await asyncio.sleep(interval_s)


async def relay_once(outbox: Outbox, bus: MessageBus, *, min_age_s: float, limit: int = 500) -> int:
    """Delivers events whose fast-path delivery did not finish (a crash, a failed handler)."""
    events = await outbox.pending(limit=limit, min_age_s=min_age_s)
    if events:
        await bus.dispatch(events)
    return len(events)


async def run_relay(outbox: Outbox, bus: MessageBus, *, interval_s: float) -> None:
    while True:
        try:
            # Rows younger than a few intervals are most likely still on their fast path.
            while await relay_once(outbox, bus, min_age_s=interval_s * 5) == 500:
                pass
        except Exception:
            log.exception("outbox relay failed")
        await asyncio.sleep(interval_s)


async def run_notification_retries(bus: MessageBus, *, interval_s: float, batch: int = 100) -> None:
    """Sends again the notifications whose backoff is over; a full batch goes on at once."""
    while True:
        try:
            while await bus.handle(RetryFailedNotifications(limit=batch)) == batch:
                pass
        except Exception:
            log.exception("notification retries failed")
        await asyncio.sleep(interval_s)


async def prune_inbox_once(bus: MessageBus, *, keep_days: int, batch: int = 10_000) -> int:
    """Forgets every inbox row older than the retention, one short batch after another."""
    pruned = 0
    while True:
        count: int = await bus.handle(PruneInbox(keep_days=keep_days, limit=batch))
        pruned += count
        if count < batch:
            return pruned


async def run_inbox_pruning(bus: MessageBus, *, keep_days: int, interval_s: float) -> None:
    while True:
        try:
            pruned = await prune_inbox_once(bus, keep_days=keep_days)
            if pruned:
                log.info("inbox: forgot %d message ids handled over %d days ago", pruned, keep_days)
        except Exception:
            log.exception("inbox pruning failed")
        await asyncio.sleep(interval_s)


def start_in_process_workers(
    bus: MessageBus, outbox: Outbox, settings: Settings
) -> list[asyncio.Task[None]]:
    """The loops that run beside the bus when no broker carries the events (``commerce serve``
    without AMQP, an embedded shop with ``background=True``)."""
    return [
        asyncio.create_task(
            run_sweeper(bus, interval_s=settings.sweep_interval_s), name="reservation-sweeper"
        ),
        asyncio.create_task(
            run_relay(outbox, bus, interval_s=settings.relay_interval_s), name="outbox-relay"
        ),
        asyncio.create_task(
            run_notification_retries(bus, interval_s=settings.notification_retry_interval_s),
            name="notification-retries",
        ),
        asyncio.create_task(
            run_inbox_pruning(
                bus,
                keep_days=settings.inbox_retention_days,
                interval_s=settings.inbox_prune_interval_s,
            ),
            name="inbox-pruning",
        ),
    ]


async def stop_workers(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
