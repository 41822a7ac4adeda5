"""Background loops: the reservation sweeper, the outbox relay and notification retries
(in process)."""

from __future__ import annotations

import asyncio
import logging

from commerce_core.notifications.commands import RetryFailedNotifications
from commerce_core.ordering.commands import ExpireReservations
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


def start_in_process_workers(
    bus: MessageBus, outbox: Outbox, settings: Settings
) -> list[asyncio.Task[None]]:
    """The loops that run beside the bus when no broker carries the events (``commerce serve``
    without AMQP, an embedded shop with ``background=True``)."""
    return [
        asyncio.create_task(run_sweeper(bus, interval_s=settings.sweep_interval_s),
                            name="reservation-sweeper"),
        asyncio.create_task(run_relay(outbox, bus, interval_s=settings.relay_interval_s),
                            name="outbox-relay"),
        asyncio.create_task(
            run_notification_retries(bus, interval_s=settings.notification_retry_interval_s),
            name="notification-retries",
        ),
    ]


async def stop_workers(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
