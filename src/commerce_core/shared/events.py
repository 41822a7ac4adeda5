"""Domain events: immutable facts, past tense, carrying the envelope of CONTRACT.md.

Every event has a unique ``message_id``, the ``occurred_at`` of the change, a ``correlation_id``
(the order id within a saga, else the id of the aggregate) and a schema ``version``. The wire
format and the routing key (the class name in snake case) derive from the class, not kept by hand.
"""

from __future__ import annotations

import re
from datetime import datetime
from random import getrandbits
from typing import ClassVar

from attrs import field, frozen

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


_UUID4_CLEARED = ~(0xF << 76 | 0x3 << 62)  # the version and variant bits
_UUID4_SET = 0x4 << 76 | 0x2 << 62  # version 4, variant 10 (RFC 4122)


def new_message_id() -> str:
    """A random UUID (version 4) as 32 hex digits, like ``uuid.uuid4().hex``.

    The bits come from the ``random`` module rather than a system call per id (a saga makes
    eight of these, and ``os.urandom`` was a fortieth of its cost). A message id must be unique,
    not secret: ``random`` is seeded from the system's entropy and reseeded in every forked
    child, so processes never share a sequence."""
    return (getrandbits(128) & _UUID4_CLEARED | _UUID4_SET).to_bytes(16, "big").hex()


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
