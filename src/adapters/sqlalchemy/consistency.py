"""Read-your-writes bookkeeping: the consistency token, the read scope of one request, and the
writers' sticky positions.

The token is a PostgreSQL WAL position (LSN) in its text form, ``16/B374D848``: the primary's
``pg_current_wal_lsn()`` right after a request's last commit. A replica whose
``pg_last_wal_replay_lsn()`` is at or past it shows everything that request wrote.

A ``ReadScope`` lives in a context variable for the length of one HTTP request: the edge fills in
what the caller presented (token, user) and whether the operation tolerates a replica; the unit of
work and the read router read it and note the commits. Background loops run outside any scope, so
they always read and write the primary.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Protocol

from attrs import define

from commerce_core.shared.cache import Cache

# A requirement no replica meets: "read the primary" (a write whose position is not known).
PRIMARY_ONLY = 2**64 - 1
_MAX_STICKY_USERS = 100_000
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(text: str | None) -> int | None:
    """``16/B374D848`` -> an integer; None for anything that is not an LSN."""
    match = _LSN.fullmatch(text.strip()) if text else None
    if match is None:
        return None
    return (int(match[1], 16) << 32) | int(match[2], 16)


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@define
class ReadScope:
    token_lsn: int = 0  # what the caller presented (header or cookie)
    replica_ok: bool = False  # the operation's reads may come from a replica
    user_id: str | None = None
    sticky_lsn: int | None = None  # resolved on the first routed read
    commit_lsn: int = 0  # the primary's position after this request's last commit
    served_behind: bool = False  # a replica behind the primary served one of its reads

    def committed_at(self, lsn: int) -> None:
        self.commit_lsn = max(self.commit_lsn, lsn)


_SCOPE: ContextVar[ReadScope | None] = ContextVar("commerce_read_scope", default=None)


def current_scope() -> ReadScope | None:
    return _SCOPE.get()


@contextlib.contextmanager
def read_scope(scope: ReadScope) -> Iterator[ReadScope]:
    reset = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(reset)


class StickyWrites(Protocol):
    """Per user, the primary position of their last write, kept for a short window: their reads
    need a replica at or past it even when they send no token."""

    async def required(self, user_id: str) -> int:
        """The position this user's reads must see; 0 when they wrote nothing lately."""
        ...

    async def remember(self, user_id: str, lsn: int) -> None: ...


class MemoryStickyWrites:
    """In this process only: a client whose requests land on several API processes (and that
    keeps neither the token nor the cookie) is covered by ``RedisStickyWrites`` instead."""

    def __init__(self, window_s: float, *, max_users: int = _MAX_STICKY_USERS) -> None:
        self.window_s = window_s
        self._max_users = max_users
        self._entries: dict[str, tuple[float, int]] = {}

    async def required(self, user_id: str) -> int:
        entry = self._entries.get(user_id)
        if entry is None:
            return 0
        deadline, lsn = entry
        if deadline < time.monotonic():
            del self._entries[user_id]
            return 0
        return lsn

    async def remember(self, user_id: str, lsn: int) -> None:
        now = time.monotonic()
        if len(self._entries) >= self._max_users:
            self._entries = {u: e for u, e in self._entries.items() if e[0] >= now}
            if len(self._entries) >= self._max_users:  # all live: forget the oldest writers
                for user in list(self._entries)[: self._max_users // 10]:
                    del self._entries[user]
        previous = self._entries.pop(user_id, None)  # re-inserted last: dicts keep write order
        kept = previous[1] if previous is not None and previous[0] >= now else 0
        self._entries[user_id] = (now + self.window_s, max(kept, lsn))


class FreshOnlyCache:
    """The cache as the request handlers see it when replicas serve reads: a value read from a
    replica that was behind the primary is not stored, so it cannot outlive the invalidation
    that its change already ran (it would be served to everyone until its TTL)."""

    def __init__(self, inner: Cache) -> None:
        self._inner = inner

    async def get(self, key: str) -> Any | None:
        return await self._inner.get(key)

    async def set(self, key: str, value: Any, *, ttl_s: float) -> None:
        scope = current_scope()
        if scope is not None and scope.served_behind:
            return
        await self._inner.set(key, value, ttl_s=ttl_s)

    async def delete(self, key: str) -> None:
        await self._inner.delete(key)

    async def delete_prefix(self, prefix: str) -> None:
        await self._inner.delete_prefix(prefix)
