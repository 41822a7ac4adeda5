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
        # SQLAlchemy and the repositories' copies do not run __init__: the list appears on first
        # use. Looked up with a default, not caught as an AttributeError: a loaded aggregate's
        # first event (most events of a saga) would pay for raising one.
        events: list[Event] | None = getattr(self, "_events", None)
        if events is None:
            self._events = [event]
        else:
            events.append(event)

    @property
    def pending_events(self) -> tuple[Event, ...]:
        return tuple(getattr(self, "_events", ()))

    def pull_events(self) -> list[Event]:
        events: list[Event] | None = getattr(self, "_events", None)
        if not events:
            # Most aggregates a unit of work hands out were only read: leave them as they are.
            return []
        self._events = []
        return events
