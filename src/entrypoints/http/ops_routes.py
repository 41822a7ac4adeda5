"""Health, readiness, the OpenAPI document and its docs page."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from commerce_core.catalog.commands import ListProducts
from entrypoints.distributed_profile import backend_checks
from entrypoints.http import models as m
from entrypoints.http.problems import problem
from entrypoints.http.routing import Operation, bus, json


async def health(request: Request) -> Response:
    return json(m.HealthOut("ok"))


async def ready(request: Request) -> Response:
    """Asks each configured backend one cheap question; names the first that does not answer."""
    checks: dict[str, str] = {}
    try:
        await bus(request).handle(ListProducts(page_size=1))
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not ready", whatever the backend raised
        return problem(503, "Not ready", f"database: {type(error).__name__}: {error}",
                       code="not_ready", headers={"Retry-After": "1"})
    for name, check in backend_checks(request.app.state.container).items():
        try:
            await check()
            checks[name] = "ok"
        except Exception as error:  # the backend named, as for the database
            return problem(503, "Not ready", f"{name}: {type(error).__name__}: {error}",
                           code="not_ready", headers={"Retry-After": "1"})
    return json(m.ReadyOut("ready", checks, replica_states(request.app.state.container)))


async def openapi_json(request: Request) -> Response:
    return Response(request.app.state.openapi, media_type="application/json")


async def docs(request: Request) -> Response:
    page = resources.files("entrypoints.http").joinpath("docs.html").read_text("utf-8")
    return HTMLResponse(page)


def replica_states(container: Any) -> list[m.ReplicaOut]:
    if "read_router" not in container.providers:
        return []
    return [
        m.ReplicaOut(s.name, s.state, s.replay_lsn,
                     None if s.lag_s is None else round(s.lag_s * 1000), s.error)
        for s in container.read_router().statuses()
    ]


def openapi_bytes(document: dict[str, object]) -> bytes:
    return orjson.dumps(document)


OPERATIONS = [
    Operation(method="GET", path="/health", endpoint=health, tag="operations",
              summary="200 while the process lives", responses={200: m.HealthOut}),
    Operation(method="GET", path="/ready", endpoint=ready, tag="operations",
              summary="200 when every configured backend answers", responses={200: m.ReadyOut},
              errors=(503,)),
    Operation(method="GET", path="/openapi.json", endpoint=openapi_json, tag="operations",
              summary="This document", responses={200: None}),
    Operation(method="GET", path="/docs", endpoint=docs, tag="operations",
              summary="A page that lists the operations and tries them",
              responses={200: None}, media_type="text/html"),
]
