"""The Starlette application: ``create_app(container)``.

The lifespan opens the container's resources, starts the in-process workers when no broker is
configured, and closes everything in reverse on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import metadata

from starlette.applications import Starlette
from starlette.middleware import Middleware

from entrypoints.container import Container
from entrypoints.distributed_profile import start_outcome_feed
from entrypoints.http import (
    auth_routes,
    cart_routes,
    catalog_routes,
    dashboard_routes,
    inventory_routes,
    metrics,
    ops_routes,
    order_routes,
    reorder_routes,
    report_routes,
    return_routes,
    supplier_routes,
)
from entrypoints.http.checkout import HybridCheckout
from entrypoints.http.consistency import count_reads, read_your_writes
from entrypoints.http.metrics import Metrics, RequestMetrics
from entrypoints.http.openapi import openapi_document
from entrypoints.http.outcomes import OrderOutcomes
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.routing import Operation, routes
from entrypoints.http.timing import ServerTiming
from entrypoints.workers import start_in_process_workers, stop_workers

OPERATIONS: list[Operation] = [
    *auth_routes.OPERATIONS,
    *catalog_routes.OPERATIONS,
    *cart_routes.OPERATIONS,
    *order_routes.OPERATIONS,
    *return_routes.OPERATIONS,
    *inventory_routes.OPERATIONS,
    *supplier_routes.OPERATIONS,
    *report_routes.OPERATIONS,
    *reorder_routes.OPERATIONS,
    *dashboard_routes.OPERATIONS,
    *ops_routes.OPERATIONS,
    *metrics.OPERATIONS,
]
SHUTDOWN_GRACE_S = 2.0


def _version() -> str:
    try:
        return metadata.version("commerce-core")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def create_app(container: Container) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        init = container.init_resources()
        if init is not None:
            await init
        settings = container.settings()
        bus = container.bus()
        outcomes = OrderOutcomes()
        stop_listening = outcomes.attach(bus)
        stop_counting = bus.observe(app_metrics.observe)
        stop_counting_reads = count_reads(container, app_metrics.count_read)
        # Distributed mode: workers push the outcomes over Redis (a no-op otherwise).
        stop_feed = await start_outcome_feed(container, outcomes.observe)
        checkout = HybridCheckout(bus, outcomes, container.ids(),
                                  wait_s=settings.checkout_wait_ms / 1000)
        state = app.state
        state.bus, state.outcomes, state.checkout = bus, outcomes, checkout
        state.tokens, state.idempotency, state.clock = (
            container.tokens(), container.idempotency(), container.clock()
        )
        workers: list[asyncio.Task[None]] = []
        if not settings.amqp_url:  # else `commerce worker` processes run these loops
            workers = start_in_process_workers(bus, container.outbox(), settings)
        try:
            yield
        finally:
            await checkout.drain(SHUTDOWN_GRACE_S)
            await stop_workers(workers)
            stop_listening()
            stop_counting()
            stop_counting_reads()
            await stop_feed()
            shutdown = container.shutdown_resources()
            if shutdown is not None:
                await shutdown

    app_routes = routes(OPERATIONS)
    app_metrics = Metrics(app_routes)
    app = Starlette(
        routes=[*app_routes, dashboard_routes.assets()],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(ServerTiming), Middleware(RequestMetrics, metrics=app_metrics),
                    *read_your_writes(container)],
        lifespan=lifespan,
    )
    # "/products/" is not "/products": answer 404 rather than redirect.
    app.router.redirect_slashes = False
    app.state.openapi = ops_routes.openapi_bytes(openapi_document(OPERATIONS, version=_version()))
    app.state.container = container
    app.state.metrics = app_metrics
    return app


def app_from_env() -> Starlette:
    """For ``uvicorn --factory entrypoints.http.app:app_from_env``."""
    from entrypoints.container import build_container
    from entrypoints.settings import Settings

    return create_app(build_container(Settings.from_env()))
