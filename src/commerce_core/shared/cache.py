"""The cache port: short-lived copies of reads, dropped by the events that make them stale."""

from __future__ import annotations

from typing import Any, Protocol


class Cache(Protocol):
    async def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or expired."""
        ...

    async def set(self, key: str, value: Any, *, ttl_s: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> None:
        """Drops every key that starts with ``prefix``."""
        ...
