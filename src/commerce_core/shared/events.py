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


def new_message_id() -> str:
    """``uuid.uuid4().hex`` (the same 16 random bytes, the same 32 digits) without building a
    UUID object or a 128-bit integer: a saga makes a dozen of these."""
    random = bytearray(os.urandom(16))
    random[6] = random[6] & 0x0F | 0x40  # version 4
    random[8] = random[8] & 0x3F | 0x80  # variant 10 (RFC 4122)
    return random.hex()


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
