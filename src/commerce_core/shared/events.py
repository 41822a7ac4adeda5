"""Domain events: immutable facts, past tense, carrying the envelope of CONTRACT.md.

Every event has a unique ``message_id``, the ``occurred_at`` of the change, a ``correlation_id``
(the order id within a saga, else the id of the aggregate) and a schema ``version``. The wire
format and the routing key (the class name in snake case) derive from the class, not kept by hand.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import ClassVar

from attrs import field, frozen

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


# A random (version 4) UUID: version nibble 4, variant bits 10.
_UUID4_CLEAR = ~(0xF000 << 64 | 0xC000 << 48) & (1 << 128) - 1
_UUID4_SET = 0x4000 << 64 | 0x8000 << 48


def new_message_id() -> str:
    """``uuid.uuid4().hex`` (the same 16 random bytes, the same 32 digits) without building a
    UUID object: a saga makes a dozen of these."""
    return f"{int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET:032x}"


@frozen(kw_only=True)
class Event:
    version: ClassVar[int] = 1

    occurred_at: datetime
    correlation_id: str
    message_id: str = field(factory=new_message_id)

    @classmethod
    def event_name(cls) -> str:
        return cls.__name__

    @classmethod
    def routing_key(cls) -> str:
        return _CAMEL_BOUNDARY.sub("_", cls.__name__).lower()


class Command:
    """Marker base for commands: imperative requests that exactly one handler serves."""

    __slots__ = ()


class Query:
    """Marker base for queries: reads that change nothing; exactly one handler serves each."""

    __slots__ = ()
