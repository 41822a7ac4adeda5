"""Errors as ``application/problem+json`` (RFC 9457): one rule per family of domain error."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from commerce_core.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    TransientError,
    Unauthorized,
)
from entrypoints.http.schema import MalformedBody, RequestInvalid

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

STATUS_BY_FAMILY: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthorized: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
    TransientError: 503,
    DomainError: 400,
}
_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 500: "Server error"}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": f"urn:commerce:problem:{code or status}",
        "title": title,
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_JSON)


def _status_of(error: DomainError) -> int:
    for family in type(error).__mro__:
        if family in STATUS_BY_FAMILY:
            return STATUS_BY_FAMILY[family]
    return 400


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    status = _status_of(error)
    headers: dict[str, str] = {}
    errors = None
    if isinstance(error, InvalidInput):
        errors = [{"field": error.field or "body", "message": error.detail}]
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="commerce"'
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, TransientError):
        headers["Retry-After"] = "1"
    return problem(status, error.title, error.detail, code=error.code, headers=headers or None,
                   errors=errors)


async def request_invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestInvalid)
    errors = [{"field": field, "message": message} for field, message in error.errors]
    return problem(422, "Invalid request", str(error), code="validation_failed", errors=errors)


async def malformed_body(request: Request, error: Exception) -> Response:
    return problem(400, "Malformed body", str(error), code="malformed_body")


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    title = _TITLES.get(error.status_code, "Request failed")
    headers = dict(error.headers) if error.headers else None
    return problem(error.status_code, title, error.detail or title, headers=headers)


async def server_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "Server error", "the server failed; the error is logged",
                   code="server_error")


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    RequestInvalid: request_invalid,
    MalformedBody: malformed_body,
    HTTPException: http_error,
    Exception: server_error,
}
