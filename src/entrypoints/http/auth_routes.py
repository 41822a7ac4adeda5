"""POST /auth/register, /auth/login, /auth/refresh, /auth/logout; GET /auth/me."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from commerce_core.identity.auth import Login, Logout, OpenSession, RefreshTokens
from commerce_core.identity.commands import GetUser, RegisterUser
from commerce_core.shared.errors import InvalidToken, UserNotFound
from entrypoints.http import models as m
from entrypoints.http import presenters as present
from entrypoints.http.routing import CUSTOMER, Operation, body, bus, caller, json, no_content


def client_address(request: Request) -> str:
    # The socket's peer; a deployment behind a proxy sets uvicorn's --forwarded-allow-ips.
    return request.client.host if request.client else "unknown"


async def register(request: Request) -> Response:
    data = await body(request, m.RegisterRequest)
    user = await bus(request).handle(RegisterUser(data.email, data.password, data.name))
    session = await bus(request).handle(OpenSession(user.id))
    return json(present.session(session), 201)


async def login(request: Request) -> Response:
    data = await body(request, m.LoginRequest)
    session = await bus(request).handle(
        Login(data.email, data.password, client=client_address(request))
    )
    return json(present.session(session))


async def refresh(request: Request) -> Response:
    data = await body(request, m.RefreshRequest)
    return json(present.session(await bus(request).handle(RefreshTokens(data.refresh_token))))


async def logout(request: Request) -> Response:
    data = await body(request, m.RefreshRequest)
    await bus(request).handle(Logout(data.refresh_token))
    return no_content()


async def me(request: Request) -> Response:
    try:
        user = await bus(request).handle(GetUser(caller(request).user_id))
    except UserNotFound:
        raise InvalidToken("the token's user no longer exists") from None
    return json(present.user(user))


OPERATIONS = [
    Operation(method="POST", path="/auth/register", endpoint=register, tag="auth",
              summary="Create a customer account and sign in", body=m.RegisterRequest,
              responses={201: m.TokensOut}, errors=(409,)),
    Operation(method="POST", path="/auth/login", endpoint=login, tag="auth",
              summary="Sign in with e-mail and password", body=m.LoginRequest,
              responses={200: m.TokensOut}, errors=(401, 429),
              response_headers={429: {"Retry-After": "seconds until the next attempt"}}),
    Operation(method="POST", path="/auth/refresh", endpoint=refresh, tag="auth",
              summary="Trade a refresh token for a new pair (the old one is spent)",
              body=m.RefreshRequest, responses={200: m.TokensOut}, errors=(401,)),
    Operation(method="POST", path="/auth/logout", endpoint=logout, tag="auth",
              summary="End the session of a refresh token", body=m.RefreshRequest,
              responses={204: None}),
    Operation(method="GET", path="/auth/me", endpoint=me, tag="auth", roles=CUSTOMER,
              summary="The signed-in user", responses={200: m.UserOut}),
]
