"""Refresh tokens and login throttling: the ports, and the rules of rotation.

A refresh token is opaque (random bytes); only its SHA-256 is stored. Every use spends it and issues
the next one of the same family; presenting a spent token again means it was stolen or replayed,
so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from attrs import frozen

REFRESH_TTL = timedelta(days=30)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@frozen
class RefreshRecord:
    token_hash: str
    user_id: str
    family_id: str
    expires_at: datetime
    spent: bool = False
    revoked: bool = False


class RefreshTokenStore(Protocol):
    async def add(self, record: RefreshRecord) -> None: ...

    async def spend(self, token_hash: str) -> RefreshRecord | None:
        """Marks the token spent in one atomic step and returns it as it was before, so of two
        racing uses exactly one sees ``spent=False``. None for an unknown token."""
        ...

    async def revoke_family(self, family_id: str) -> None: ...


@frozen
class RateDecision:
    allowed: bool
    retry_after_s: int = 0


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> RateDecision:
        """Counts one attempt in a sliding window; refuses past ``limit`` attempts."""
        ...

    async def reset(self, key: str) -> None: ...
