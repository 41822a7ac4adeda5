"""The wire format of events: for the outbox today, for RabbitMQ tomorrow.

An event travels as a JSON object tagged with its name and schema version::

    {"event": "OrderCreated", "version": 1, "data": {"order_id": "...", "total": "19.99", ...}}

Decimals are strings (never floats), datetimes ISO 8601 with their offset, tuples of frozen items
JSON arrays. ``loads`` refuses an unknown name or a version this code does not know.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import cattrs
import orjson
from cattrs.preconf.orjson import make_converter

from commerce_core.events import EVENTS_BY_NAME
from commerce_core.shared.events import Event


class UnknownEvent(ValueError):
    """The message names an event, or a version of one, that this code does not know."""


def _make_converter() -> cattrs.Converter:
    converter = make_converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))
    converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
    converter.register_structure_hook(
        datetime, lambda value, _: value if isinstance(value, datetime)
        else datetime.fromisoformat(value)
    )
    return converter


converter = _make_converter()


def to_message(event: Event) -> dict[str, Any]:
    return {
        "event": event.event_name(),
        "version": type(event).version,
        "data": converter.unstructure(event),
    }


def from_message(message: dict[str, Any]) -> Event:
    name, version = message.get("event"), message.get("version")
    event_type = EVENTS_BY_NAME.get(name) if isinstance(name, str) else None
    if event_type is None:
        raise UnknownEvent(f"unknown event {name!r}")
    if version != event_type.version:
        raise UnknownEvent(f"{name} version {version!r}; this code reads {event_type.version}")
    event: Event = converter.structure(message["data"], event_type)
    return event


def dumps(event: Event) -> bytes:
    return orjson.dumps(to_message(event))


def loads(payload: bytes | str) -> Event:
    return from_message(orjson.loads(payload))
