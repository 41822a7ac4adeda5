from __future__ import annotations

from typing import Protocol

from attrs import frozen

from commerce_core.identity.model import User


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...


class PasswordHasher(Protocol):
    """Slow, salted hashing. Implementations keep the work off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""
        ...

    async def verify_dummy(self, password: str) -> None:
        """Spends the time of a verify, so an unknown e-mail answers as slowly as a bad password."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


@frozen
class AccessClaims:
    user_id: str
    role: str
    token_id: str


@frozen
class IssuedToken:
    token: str
    expires_in: int


class TokenIssuer(Protocol):
    def issue_access(self, user_id: str, role: str) -> IssuedToken: ...

    def verify_access(self, token: str) -> AccessClaims:
        """Raises InvalidToken for anything but a valid, unexpired token of ours."""
        ...
