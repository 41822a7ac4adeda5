"""How reporting consumes the events where they are dispatched in process with a database.

One transaction per event for the journal and one for the read models would double the database
work of a saga, so the consumer buffers and is flushed once per dispatch, just before the outbox
marks the dispatch's events delivered (``OutboxMarkedAfterReports``; concurrent dispatches share
a flush), or at ``BATCH_SIZE`` events, or ``FLUSH_DELAY_S`` after an event nobody flushed. A crash
before a flush leaves those rows in the outbox, and the relay delivers them again to idempotent
consumers. When ``handle`` returns, the reports hold the saga's events, as in memory.

With a broker (COMMERCE_AMQP_URL) a worker acknowledges each message after its handler returns,
so the consumer stays unbuffered there: it stores each event before it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dependency_injector import providers

from commerce_core.reporting.consumer import OutboxMarkedAfterReports, ReportingConsumer
from entrypoints.settings import Settings

BATCH_SIZE = 500
FLUSH_DELAY_S = 0.05


def use_buffered_reporting(
    container: Any,
    settings: Settings,
    *,
    batch_size: int = BATCH_SIZE,
    consumer_type: Callable[..., ReportingConsumer] = ReportingConsumer,
) -> None:
    """``consumer_type`` builds the consumer from the journal, the store and the batching (the
    embedded mode's also has its store read through it)."""
    if settings.amqp_url:
        return
    consumer = providers.Singleton(
        consumer_type,
        journal=container.event_journal,
        store=container.reporting_store,
        batch_size=batch_size,
        flush_delay_s=FLUSH_DELAY_S,
    )
    container.reporting_consumer.override(consumer)
    # Only the bus's marks wait for reporting; the relay and /metrics read the outbox itself.
    container.bus.add_kwargs(
        outbox=providers.Singleton(OutboxMarkedAfterReports, container.outbox, consumer)
    )
