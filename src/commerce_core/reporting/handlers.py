"""Reporting listens to every integration event; what they mean is in ``projection``."""

from __future__ import annotations

from commerce_core.events import ALL_EVENTS
from commerce_core.reporting.consumer import ReportingConsumer
from commerce_core.shared.events import Event


async def record_for_reports(event: Event, reporting_consumer: ReportingConsumer) -> None:
    # No unit of work and no inbox row: the journal and the read models are idempotent by
    # message_id themselves, so a second delivery is a no-op there.
    await reporting_consumer.consume(event)


COMMAND_HANDLERS: dict[type, object] = {}
EVENT_HANDLERS = {event_type: [record_for_reports] for event_type in ALL_EVENTS}
