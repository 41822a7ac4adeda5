"""The OpenAPI 3.1 document, generated from the operations and their attrs request/response
classes (see ``schema.py``); nothing here is kept by hand but the wording."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from entrypoints.http.consistency import TOKEN_COOKIE, TOKEN_HEADER
from entrypoints.http.models import Problem
from entrypoints.http.routing import ID_PATTERN, Operation
from entrypoints.http.schema import component, query_parameters

_PARAM = re.compile(r"{(\w+)}")
_DESCRIPTIONS = {
    200: "OK", 201: "Created", 202: "Accepted: the saga continues; poll the Location",
    204: "No content", 400: "The body is not JSON", 401: "Missing, invalid or expired token",
    402: "Payment declined; the order is cancelled (order_id names it)",
    403: "Not allowed for this role", 404: "Not found", 405: "Method not allowed",
    409: "Conflict with the current state", 422: "Invalid input; errors name each field",
    429: "Too many attempts; see Retry-After", 503: "A backend is unavailable",
}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Only with read replicas (COMMERCE_DATABASE_REPLICA_URLS); see entrypoints/http/consistency.py.
_TOKEN_SCHEMA = {"type": "string", "examples": ["16/B374D848"]}
_TOKEN_OUT = {
    "description": "With read replicas, when the request committed: the primary's WAL position "
    f"after the commit (also set as the {TOKEN_COOKIE} cookie). Send the latest one received "
    f"back in {TOKEN_HEADER} to read your own writes.",
    "required": False,
}
_TOKEN_IN = {
    "name": TOKEN_HEADER, "in": "header", "required": False,
    "description": "The latest consistency token a write answered (or the "
    f"{TOKEN_COOKIE} cookie): with read replicas, this read then comes from a replica that "
    "has replayed past it, else from the primary. Without it the read may be stale by a "
    "replica's lag, except a signed-in caller's own recent writes.",
}


def _response(status: int, schema: dict[str, Any] | None, media: str,
              headers: dict[str, str] | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _DESCRIPTIONS.get(status, "")}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    if headers:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}, "required": True}
            for name, text in headers.items()
        }
    return response


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    problem_ref = {"$ref": f"#/components/schemas/{component(Problem, components)}"}
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "pattern": ID_PATTERN}}
        for name in _PARAM.findall(op.path)
    ]
    if op.query is not None:
        parameters += query_parameters(op.query, components)
    parameters += [
        {"name": h.name, "in": "header", "required": h.required, "description": h.description,
         "schema": dict(h.schema)}
        for h in op.request_headers
    ]
    if op.reads == "replica":
        parameters.append({**_TOKEN_IN, "schema": dict(_TOKEN_SCHEMA)})
    responses: dict[str, Any] = {}
    for status, cls in op.responses.items():
        schema = None
        if cls is not None:
            schema = {"$ref": f"#/components/schemas/{component(cls, components)}"}
        elif status != 204:
            schema = {}
        responses[str(status)] = _response(status, schema, op.media_type,
                                           dict(op.response_headers.get(status, {})) or None)
        if status < 300 and op.alternative_media:
            responses[str(status)].setdefault("content", {}).update({
                media: {"schema": {"type": "string"} if media.startswith("text/")
                        else {"type": "string", "format": "binary"}}
                for media in op.alternative_media
            })
        if status < 300 and op.method not in _SAFE_METHODS:
            responses[str(status)].setdefault("headers", {})[TOKEN_HEADER] = {
                **_TOKEN_OUT, "schema": dict(_TOKEN_SCHEMA)
            }
    for status in op.error_statuses:
        responses[str(status)] = _response(status, problem_ref, "application/problem+json",
                                           dict(op.response_headers.get(status, {})) or None)
    document: dict[str, Any] = {
        "operationId": op.endpoint.__module__.rsplit(".", 1)[-1].removesuffix("_routes")
        + "_" + op.endpoint.__name__,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    }
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{component(op.body, components)}"}
            }},
        }
    if op.roles:
        document["security"] = [{"bearer": []}]
        document["description"] = f"Roles: {', '.join(op.roles)}."
    return document


def openapi_document(operations: Iterable[Operation], *, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "commerce-core",
            "version": version,
            "description": "E-commerce backend: auth, catalog, cart, checkout saga, inventory. "
            "Errors are application/problem+json; money is a decimal string.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
