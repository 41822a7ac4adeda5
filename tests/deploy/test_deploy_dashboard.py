"""The Grafana dashboard queries only metrics that GET /metrics really exposes: the app runs in
process, answers a few requests, and its exposition is parsed for the metric families."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from deploy_support import DEPLOY, dashboard_expressions, promql_metric_names
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.container import Container
from entrypoints.http import create_app

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "commerce.json"
# The sample names each family type puts in the exposition besides the family name.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "info": ("_info",),
}


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


async def _exposed_names(client: httpx.AsyncClient) -> set[str]:
    for path in ("/health", "/products", "/no/such/path"):
        await client.get(path)
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    names: set[str] = set()
    for family in text_string_to_metric_families(response.text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


async def test_every_dashboard_query_names_exposed_metrics(client: httpx.AsyncClient) -> None:
    exposed = await _exposed_names(client)
    dashboard = json.loads(DASHBOARD.read_text("utf-8"))
    expressions = dashboard_expressions(dashboard)
    assert expressions
    used: set[str] = set()
    for title, expr in expressions:
        names = promql_metric_names(expr)
        assert names, f"panel {title!r}: no metric in {expr!r}"
        missing = names - exposed
        assert not missing, f"panel {title!r} queries {sorted(missing)}, not in /metrics"
        used |= names
    # The dashboard covers each family the API exposes for it.
    assert {"http_request_duration_seconds_bucket", "orders_confirmed_total",
            "orders_cancelled_total", "outbox_backlog", "outbox_oldest_age_seconds",
            "notifications"} <= used


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket'
         '{job="$job", status=~"5.."}[$__rate_interval])))',
         {"http_request_duration_seconds_bucket"}),
        ("sum(rate(a_total[5m] offset 1h)) by (reason) / ignoring(x) b * 60 + 1e3",
         {"a_total", "b"}),
        ('max(outbox_backlog{job="commerce-api"}) > bool 0 and on(instance) up',
         {"outbox_backlog", "up"}),
        ("label_replace(foo:rate5m, 'dst', '$1', 'src', '(.*)')", {"foo:rate5m"}),
    ],
)
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    assert promql_metric_names(expr) == names
