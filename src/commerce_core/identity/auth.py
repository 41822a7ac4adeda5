"""Sessions: log in, refresh, log out.

A session is a short-lived access token (the TokenIssuer's) and an opaque refresh token whose hash
the RefreshTokenStore keeps. Every refresh spends the token presented and issues the next of its
family; a spent token presented again revokes the family (someone replayed it). Logins are counted
per account and per client address; an unknown e-mail costs the same time and the same answer as a
wrong password (``authenticate`` spends a dummy verify).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from attrs import frozen

from commerce_core.identity.commands import Authenticate
from commerce_core.identity.handlers import authenticate
from commerce_core.identity.model import User
from commerce_core.identity.ports import PasswordHasher, TokenIssuer
from commerce_core.identity.sessions import (
    REFRESH_TTL,
    RateLimiter,
    RefreshRecord,
    RefreshTokenStore,
    hash_refresh_token,
    new_refresh_token,
)
from commerce_core.shared.errors import InvalidToken, TooManyAttempts, UserNotFound
from commerce_core.shared.events import Command
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork

# -- commands ------------------------------------------------------------------------------------


@frozen
class Login(Command):
    email: str
    password: str
    client: str = "unknown"  # the caller's network address, for the per-client limit


@frozen
class OpenSession(Command):
    """Issues a session for a user who just proved who they are (registration)."""

    user_id: str


@frozen
class RefreshTokens(Command):
    refresh_token: str


@frozen
class Logout(Command):
    refresh_token: str


# -- values --------------------------------------------------------------------------------------


@frozen(kw_only=True)
class LoginThrottle:
    """Attempts allowed per window. A successful login clears its account's count, not the
    client's: one valid account must not buy an attacker unlimited guesses at others."""

    per_account: int = 5
    per_client: int = 100
    window: timedelta = timedelta(minutes=15)


@frozen
class Session:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


# -- handlers ------------------------------------------------------------------------------------


def _account_key(email: str) -> str:
    return f"login:account:{email.strip().lower() if isinstance(email, str) else ''}"


async def _issue(
    user: User, family_id: str, tokens: TokenIssuer, refresh_tokens: RefreshTokenStore,
    clock: Clock,
) -> Session:
    access = tokens.issue_access(user.id, user.role.value)
    refresh = new_refresh_token()
    await refresh_tokens.add(
        RefreshRecord(
            token_hash=hash_refresh_token(refresh),
            user_id=user.id,
            family_id=family_id,
            expires_at=clock.now() + REFRESH_TTL,
        )
    )
    return Session(user, access.token, refresh, access.expires_in)


async def login(
    command: Login,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    refresh_tokens: RefreshTokenStore,
    rate_limiter: RateLimiter,
    login_throttle: LoginThrottle,
    clock: Clock,
) -> Session:
    now, window = clock.now(), login_throttle.window
    account_key = _account_key(command.email)
    for key, limit in (
        (f"login:client:{command.client}", login_throttle.per_client),
        (account_key, login_throttle.per_account),
    ):
        decision = await rate_limiter.hit(key, limit=limit, window=window, now=now)
        if not decision.allowed:
            raise TooManyAttempts(
                f"too many login attempts; retry in {decision.retry_after_s} s",
                retry_after=decision.retry_after_s,
            )
    user = await authenticate(Authenticate(command.email, command.password), uow, hasher)
    await rate_limiter.reset(account_key)
    return await _issue(user, secrets.token_hex(16), tokens, refresh_tokens, clock)


async def open_session(
    command: OpenSession,
    uow: UnitOfWork,
    tokens: TokenIssuer,
    refresh_tokens: RefreshTokenStore,
    clock: Clock,
) -> Session:
    async with uow:
        user = await uow.users.get(command.user_id)
    if user is None:
        raise UserNotFound()
    return await _issue(user, secrets.token_hex(16), tokens, refresh_tokens, clock)


async def refresh_session(
    command: RefreshTokens,
    uow: UnitOfWork,
    tokens: TokenIssuer,
    refresh_tokens: RefreshTokenStore,
    clock: Clock,
) -> Session:
    if not isinstance(command.refresh_token, str) or not command.refresh_token:
        raise InvalidToken()
    record = await refresh_tokens.spend(hash_refresh_token(command.refresh_token))
    if record is None or record.revoked:
        raise InvalidToken()
    if record.spent:
        # A second use of one token: one of the two holders is not its owner.
        await refresh_tokens.revoke_family(record.family_id)
        raise InvalidToken("refresh token reused; every session of its family is revoked")
    if record.expires_at <= clock.now():
        raise InvalidToken("refresh token expired")
    async with uow:
        user = await uow.users.get(record.user_id)
    if user is None:
        raise InvalidToken()
    return await _issue(user, record.family_id, tokens, refresh_tokens, clock)


async def logout(command: Logout, refresh_tokens: RefreshTokenStore) -> None:
    if not isinstance(command.refresh_token, str) or not command.refresh_token:
        return
    record = await refresh_tokens.spend(hash_refresh_token(command.refresh_token))
    if record is not None:
        await refresh_tokens.revoke_family(record.family_id)


COMMAND_HANDLERS = {
    Login: login,
    OpenSession: open_session,
    RefreshTokens: refresh_session,
    Logout: logout,
}
