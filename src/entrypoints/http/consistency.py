"""Read-your-writes at the HTTP edge (active when COMMERCE_DATABASE_REPLICA_URLS is set).

- A request may present a consistency token in the ``X-Consistency-Token`` header, or in the
  ``commerce_consistency`` cookie that browsers send back by themselves; its replica-tolerant
  reads then come from a replica that has replayed past it, else from the primary.
- A response to a request that committed carries the primary's WAL position after that commit
  in the same header and cookie. Tokens only grow: a client keeps the latest it was given.
- A signed-in caller who wrote is remembered for a short window (``StickyWrites``), so their
  reads see their writes even when they send no token at all.

The operation's declaration (``Operation.reads``) says whether its reads tolerate a replica; the
dispatcher calls ``enter_operation`` once it knows the operation and the caller.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.sqlalchemy.consistency import (
    PRIMARY_ONLY,
    ReadScope,
    StickyWrites,
    current_scope,
    format_lsn,
    parse_lsn,
    read_scope,
)
from commerce_core.identity.ports import AccessClaims

TOKEN_HEADER = "X-Consistency-Token"
TOKEN_COOKIE = "commerce_consistency"
_HEADER_KEY = TOKEN_HEADER.lower().encode()
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
log = logging.getLogger(__name__)


def enter_operation(request: Request, replica_ok: bool, claims: AccessClaims | None) -> None:
    """Called by the dispatcher before the endpoint: what the current request may read from,
    and whose writes it must see (on a public route, the caller's if it sends a valid token)."""
    scope = current_scope()
    if scope is None:
        return
    scope.replica_ok = replica_ok
    if claims is None and replica_ok:
        claims = _signed_in(request)
    scope.user_id = claims.user_id if claims is not None else None


def _signed_in(request: Request) -> AccessClaims | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims: AccessClaims = request.app.state.tokens.verify_access(token.strip())
    except Exception:  # a public route ignores a bad token, as it ignores a missing one
        return None
    return claims


def presented_token(headers: list[tuple[bytes, bytes]]) -> int:
    cookie_value: str | None = None
    for key, value in headers:
        if key == _HEADER_KEY:
            return parse_lsn(value.decode("latin-1")) or 0
        if key == b"cookie" and cookie_value is None:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is the client's business, not ours
                continue
            if TOKEN_COOKIE in jar:
                cookie_value = jar[TOKEN_COOKIE].value
    return parse_lsn(cookie_value) or 0


class ReadYourWrites:
    """ASGI middleware: one ReadScope per request; the token out, the writer remembered."""

    def __init__(self, app: ASGIApp, sticky: Callable[[], StickyWrites], window_s: float) -> None:
        self.app = app
        self._sticky = sticky
        self._window_s = window_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read = ReadScope(token_lsn=presented_token(scope["headers"]))

        async def answering(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._on_response(scope["method"], read, message)
            await send(message)

        with read_scope(read):
            await self.app(scope, receive, answering)

    async def _on_response(self, method: str, read: ReadScope, message: Message) -> None:
        if read.commit_lsn:
            token = format_lsn(read.commit_lsn)
            cookie = (
                f"{TOKEN_COOKIE}={token}; Max-Age={math.ceil(self._window_s) + 1}; Path=/; "
                "HttpOnly; SameSite=Lax"
            )
            message["headers"] = [
                *message.get("headers", ()),
                (_HEADER_KEY, token.encode()),
                (b"set-cookie", cookie.encode()),
            ]
        if read.user_id is None:
            return
        needed = read.commit_lsn
        if not needed and method not in _SAFE_METHODS and message["status"] < 400:
            needed = PRIMARY_ONLY  # a change outside the database (the cart) read the primary
        if needed:
            try:
                await self._sticky().remember(read.user_id, needed)
            except Exception as error:  # the answer stands; the token still covers the caller
                log.warning("could not remember a write of %s: %s", read.user_id, error)


def read_your_writes(container: Any) -> list[Middleware]:
    """The middleware, when the container routes reads to replicas (none otherwise)."""
    if "read_router" not in container.providers:
        return []
    window_s = container.sticky_writes().window_s
    return [Middleware(ReadYourWrites, sticky=container.sticky_writes, window_s=window_s)]


def count_reads(container: Any, observer: Callable[[str, str], None]) -> Callable[[], None]:
    """Feeds ``observer(target, reason)`` with every routed read; returns the unsubscribe."""
    if "read_router" not in container.providers:
        return lambda: None
    unsubscribe: Callable[[], None] = container.read_router().observe(observer)
    return unsubscribe
