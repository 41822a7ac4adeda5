"""Operations: each route declared once, with what it reads, who may call it and what it answers.
The Starlette routes and the OpenAPI document are both built from this list."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import orjson
from attrs import field, frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commerce_core.identity.ports import AccessClaims
from commerce_core.shared.errors import InvalidToken, NotFound, PermissionDenied
from commerce_core.shared.messagebus import MessageBus
from entrypoints.http.consistency import enter_operation
from entrypoints.http.schema import MalformedBody, dump, parse, parse_query

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID = re.compile(ID_PATTERN)
CUSTOMER = ("customer", "admin")  # an admin may shop too
ADMIN = ("admin",)


@frozen(kw_only=True)
class Header:
    name: str
    description: str
    schema: Mapping[str, Any] = field(factory=lambda: {"type": "string"})
    required: bool = False


@frozen(kw_only=True)
class Operation:
    method: str
    path: str
    endpoint: Endpoint
    summary: str
    tag: str
    roles: tuple[str, ...] = ()
    body: type | None = None
    query: type | None = None
    responses: Mapping[int, type | None] = field(factory=dict)
    errors: tuple[int, ...] = ()
    request_headers: tuple[Header, ...] = ()
    response_headers: Mapping[int, Mapping[str, str]] = field(factory=dict)
    media_type: str = "application/json"
    # "replica": its reads may come from a read replica (stale by the replica's lag, except
    # for what the caller wrote: see entrypoints/http/consistency.py); "primary" otherwise.
    reads: str = "primary"
    # Other media types of the success answer, which the caller picks (reports: ?format=csv|pdf).
    alternative_media: tuple[str, ...] = ()

    @property
    def error_statuses(self) -> list[int]:
        implied = set(self.errors)
        if "{" in self.path:
            implied.add(404)  # an id that cannot exist is refused before the handler runs
        if self.roles:
            implied.add(401)
        if self.roles == ADMIN:
            implied.add(403)
        if self.body is not None:
            implied |= {400, 422}
        if self.query is not None or self.request_headers:
            implied.add(422)
        return sorted(implied)


# -- what endpoints use ------------------------------------------------------------------------


def bus(request: Request) -> MessageBus:
    bus: MessageBus = request.app.state.bus
    return bus


def caller(request: Request) -> AccessClaims:
    claims: AccessClaims = request.state.claims
    return claims


def is_admin(request: Request) -> bool:
    return caller(request).role == "admin"


async def body(request: Request, cls: type[T]) -> T:
    raw = await request.body()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MalformedBody("the body is not JSON") from None
    return parse(data, cls)


def query(request: Request, cls: type[T]) -> T:
    return parse_query(request.query_params, cls)


def json(instance: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(dump(instance)), status, headers=dict(headers or {}),
                    media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


# -- routes ------------------------------------------------------------------------------------


def _authorize(request: Request, roles: tuple[str, ...]) -> AccessClaims:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("an Authorization: Bearer <access token> header is required")
    claims: AccessClaims = request.app.state.tokens.verify_access(token.strip())
    if claims.role not in roles:
        raise PermissionDenied()
    return claims


def _dispatcher(operations: Mapping[str, Operation]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        operation = operations[method]
        if not all(_ID.match(value) for value in request.path_params.values()):
            raise NotFound("no resource has this id")
        claims = _authorize(request, operation.roles) if operation.roles else None
        if claims is not None:
            request.state.claims = claims
        enter_operation(request, operation.reads == "replica", claims)
        return await operation.endpoint(request)

    return endpoint


def routes(operations: Iterable[Operation]) -> list[Route]:
    """One Starlette route per path, so a wrong method gets 405 with the full Allow header."""
    by_path: dict[str, dict[str, Operation]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, {})[operation.method] = operation
    return [
        Route(path, _dispatcher(methods), methods=list(methods))
        for path, methods in by_path.items()
    ]
