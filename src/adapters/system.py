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
        ms = time.time_ns() // 1_000_000
        rand = int.from_bytes(os.urandom(10), "big")
        value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
        value |= 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF
        return f"{value:032x}"
