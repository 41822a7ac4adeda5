"""The system clock and id generator, and a clock tests can move."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class Uuid7Generator:
    """RFC 9562 UUIDv7 as 32 hex digits: time-ordered, so new rows append to indexes."""

    def new_id(self) -> str:
        # Built as bytes: shifts and masks on a 128-bit integer cost three times as much.
        ms = time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF
        value = bytearray(ms.to_bytes(6, "big") + os.urandom(10))  # 48 bits of time, then random
        value[6] = value[6] & 0x0F | 0x70  # version 7
        value[8] = value[8] & 0x3F | 0x80  # variant 10 (RFC 9562)
        return value.hex()
