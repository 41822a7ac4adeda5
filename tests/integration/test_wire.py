"""The wire format: every event survives the round trip, and unknown messages are refused."""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import orjson
import pytest

from adapters import wire
from commerce_core.events import ALL_EVENTS
from commerce_core.shared.events import Event

WHEN = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _sample(hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        return "text-é"
    if hint is int:
        return 7
    if hint is bool:
        return True
    if hint is Decimal:
        return Decimal("19.99")
    if hint is datetime:
        return WHEN
    if origin is tuple:
        return (_sample(args[0]), _sample(args[0]))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return _sample(next(a for a in args if a is not type(None)))
    if attrs.has(hint):
        hints = typing.get_type_hints(hint)
        return hint(**{f.name: _sample(hints[f.name]) for f in attrs.fields(hint)})
    raise AssertionError(f"no sample for {hint!r}")


def _an_event(event_type: type[Event]) -> Event:
    hints = typing.get_type_hints(event_type)
    values = {f.name: _sample(hints[f.name]) for f in attrs.fields(event_type)
              if f.name != "message_id"}
    return event_type(**values)


@pytest.mark.parametrize("event_type", ALL_EVENTS, ids=lambda e: e.__name__)
def test_every_event_round_trips(event_type: type[Event]) -> None:
    event = _an_event(event_type)
    assert wire.loads(wire.dumps(event)) == event


def test_the_message_is_tagged_and_plain_json() -> None:
    from commerce_core.ordering.events import OrderCreated

    message = orjson.loads(wire.dumps(_an_event(OrderCreated)))
    assert (message["event"], message["version"]) == ("OrderCreated", 1)
    assert message["data"]["total"] == "19.99"  # never a float
    assert message["data"]["occurred_at"] == "2026-03-01T12:30:15.123456+00:00"
    assert message["data"]["items"][0] == {
        "product_id": "text-é", "quantity": 7, "unit_price": "19.99"}


def test_unknown_names_and_versions_are_refused() -> None:
    from commerce_core.ordering.events import OrderShipped

    message = wire.to_message(_an_event(OrderShipped))
    with pytest.raises(wire.UnknownEvent):
        wire.from_message({**message, "event": "OrderTeleported"})
    with pytest.raises(wire.UnknownEvent):
        wire.from_message({**message, "version": 99})
