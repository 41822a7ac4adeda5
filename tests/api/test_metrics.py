"""GET /metrics: Prometheus text with latency per route template, saga outcomes, the outbox
and notifications, from a registry of the app's own."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from api.support import Api


async def _samples(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_latency_is_per_route_template_not_per_path(api: Api) -> None:
    admin = await api.admin()
    first = await api.product(admin)
    second = await api.product(admin)
    for product in (first, second):
        assert (await api.http.get(f"/products/{product['id']}")).status_code == 200
    await api.http.get("/no/such/path")
    samples = await _samples(api)
    count = ("http_request_duration_seconds_count",
             (("method", "GET"), ("route", "/products/{product_id}"), ("status", "200")))
    assert samples[count] == 2
    assert not any(first["id"] in str(labels) for _, labels in samples)
    assert samples[("http_request_duration_seconds_count",
                    (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1


async def test_saga_outcomes_outbox_and_notifications(api: Api) -> None:
    admin = await api.admin()
    product = await api.product(admin, stock=5)
    customer = await api.customer()
    await api.in_cart(customer, product["id"])
    assert (await api.checkout(customer)).status_code == 201
    await api.in_cart(customer, product["id"])
    assert (await api.checkout(customer, token="tok_chargeDeclined")).status_code == 402
    samples = await _samples(api)
    assert samples[("orders_confirmed_total", ())] == 1
    assert samples[("orders_cancelled_total", (("reason", "payment_declined"),))] == 1
    assert ("outbox_backlog", ()) in samples
    assert samples[("outbox_oldest_age_seconds", ())] >= 0
    assert sum(v for (name, _), v in samples.items() if name == "notifications") >= 1


async def test_two_apps_in_one_process_count_apart(api: Api) -> None:
    from entrypoints.container import build_container
    from entrypoints.http import create_app
    from entrypoints.settings import Settings

    other = create_app(build_container(Settings()))
    await api.http.get("/health")
    assert b'route="/health"' in api.app.state.metrics.exposition()
    assert b'route="/health"' not in other.state.metrics.exposition()
