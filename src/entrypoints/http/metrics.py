"""``GET /metrics`` for Prometheus, from a registry of the app's own (not the process-global one,
so tests and several apps in one process do not collide).

- ``http_request_duration_seconds{method, route, status}``: latency per route template
  (``/orders/{order_id}``, never the raw path; ``unmatched`` for paths no route serves);
- ``orders_confirmed_total`` and ``orders_cancelled_total{reason}``: saga outcomes, counted from
  the events this process delivers (``bus.observe``); in distributed mode the workers deliver
  them, so these counters stay at zero on an HTTP replica;
- ``outbox_backlog`` and ``outbox_oldest_age_seconds``: read from the Outbox port at each scrape
  (the port is async, so a scrape refreshes them rather than a synchronous gauge callback);
- ``notifications{status}``: notifications in each status, read at each scrape;
- ``commerce_db_reads_total{target, reason}``: reads of replica-tolerant operations by the
  database that served them (``target`` replica or primary), with read replicas configured.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce_core.notifications.commands import CountNotifications
from commerce_core.notifications.model import NotificationStatus
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.shared.events import Event
from commerce_core.shared.messagebus import MessageBus, Outbox
from entrypoints.http.routing import Operation

UNMATCHED = "unmatched"


class Metrics:
    def __init__(self, routes: Iterable[Route]) -> None:
        # routing.routes() makes one endpoint per path template: the endpoint names the template.
        self._templates: dict[object, str] = {route.endpoint: route.path for route in routes}
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "http_request_duration_seconds", "Time to answer an HTTP request",
            ["method", "route", "status"], registry=self.registry,
        )
        self.orders_confirmed = Counter(
            "orders_confirmed", "Orders the saga confirmed", registry=self.registry
        )
        self.orders_cancelled = Counter(
            "orders_cancelled", "Orders cancelled, by reason", ["reason"], registry=self.registry
        )
        self.outbox_backlog = Gauge(
            "outbox_backlog", "Events written but not yet delivered", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "outbox_oldest_age_seconds", "Age of the oldest undelivered event",
            registry=self.registry,
        )
        self.notifications = Gauge(
            "notifications", "Notifications in each status", ["status"], registry=self.registry
        )
        self.db_reads = Counter(
            "commerce_db_reads",
            "Reads of replica-tolerant operations, by the database that served them (reason:"
            " replica; behind = no replica past the caller's writes; unavailable = none serving;"
            " fallback = a replica failed mid-read)",
            ["target", "reason"], registry=self.registry,
        )

    def count_read(self, target: str, reason: str) -> None:
        self.db_reads.labels(target, reason).inc()

    def template_of(self, scope: Scope) -> str:
        return self._templates.get(scope.get("endpoint"), UNMATCHED)

    def observe(self, event: Event) -> None:
        if isinstance(event, OrderConfirmed):
            self.orders_confirmed.inc()
        elif isinstance(event, OrderCancelled):
            self.orders_cancelled.labels(event.reason).inc()

    async def refresh(self, outbox: Outbox, bus: MessageBus) -> None:
        self.outbox_backlog.set(await outbox.backlog())
        self.outbox_oldest_age.set(await outbox.oldest_age_s())
        counts: dict[str, int] = await bus.handle(CountNotifications())
        for status in NotificationStatus:
            self.notifications.labels(status.value).set(counts.get(status.value, 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: times each request under the route template the router matched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an exception that escapes every handler is answered 500 outside

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.latency.labels(
                scope["method"], self.metrics.template_of(scope), str(status)
            ).observe(time.perf_counter() - start)


async def metrics(request: Request) -> Response:
    state = request.app.state
    collected: Metrics = state.metrics
    await collected.refresh(state.container.outbox(), state.bus)
    return Response(collected.exposition(), media_type=CONTENT_TYPE_LATEST)


OPERATIONS = [
    Operation(method="GET", path="/metrics", endpoint=metrics, tag="operations",
              summary="Prometheus metrics (text exposition format)", responses={200: None},
              media_type="text/plain"),
]
