"""The base of every aggregate: it records events and never publishes them."""

from __future__ import annotations

from commerce_core.shared.events import Event


class Aggregate:
    """Mixin for aggregates. The unit of work collects ``pull_events()`` after it persisted them.

    ``version`` counts committed changes; repositories use it for optimistic concurrency, so a
    transition computed from a stale read fails instead of overwriting a newer state.
    """

    version: int
    _events: list[Event]

    def _record(self, event: Event) -> None:
        try:
            self._events.append(event)
        except AttributeError:
            # SQLAlchemy and copy.copy do not run __init__; the list appears on first use.
            self._events = [event]

    @property
    def pending_events(self) -> tuple[Event, ...]:
        return tuple(getattr(self, "_events", ()))

    def pull_events(self) -> list[Event]:
        events = getattr(self, "_events", [])
        self._events = []
        return events
