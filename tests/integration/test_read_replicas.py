"""Read replicas with read-your-writes, against a real streaming replica of the local PostgreSQL.

The replica applies what the primary commits 2 s late (``recovery_min_apply_delay``), so within
that window a read from it is visibly stale. Two apps on the same databases stand for two API
processes: process B never saw the customer's write, so only the token can send its reads to a
fresh enough server; process A remembers its writers (stickiness). Every HTTP client here drops
cookies, so the cookie path is taken only where a test sends the cookie itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from adapters.security.passwords import Argon2PasswordHasher
from adapters.sqlalchemy.consistency import PRIMARY_ONLY, format_lsn, parse_lsn
from api.support import Api
from commerce_core.reporting.model import SalesGrouping
from commerce_core.reporting.ports import ReportReader
from entrypoints.container import build_container
from entrypoints.http import create_app
from entrypoints.settings import Settings
from integration.databases import (
    ADMIN_DSN,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    require_service,
    run_sync,
)
from integration.streaming_replica import ReplicaUnavailable, StreamingReplica

pytestmark = [pytest.mark.integration, pytest.mark.slow]

APPLY_DELAY_S = 2.0
# A read this soon after the commit cannot have met the change on the replica.
SURELY_STALE_S = 1.5
TOKEN = "X-Consistency-Token"
COOKIE = "commerce_consistency"
SECRET = "read-replica-test-secret-0123456789abcdef0123456789"
REDIS_URL = os.environ.get("COMMERCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_sku = itertools.count(1)


# -- the replica and the database ---------------------------------------------------------------


@contextlib.contextmanager
def replica_with_database() -> Iterator[tuple[StreamingReplica, str, str]]:
    """A streaming replica, then a fresh database made on the primary once it streams (so the
    database reaches the replica by replication); all of it removed at the end, test failed
    or not. Yields (replica, primary URL, replica URL)."""
    require_service(postgres_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    replica = StreamingReplica(APPLY_DELAY_S)
    try:
        try:
            replica.start()
        except ReplicaUnavailable as error:
            require_service(False, f"no streaming replica on this machine: {error}")
        name, url = create_postgres_database()
        try:
            run_sync(lambda: replica.wait_for_database(name))
            yield replica, url, replica.url(name)
        finally:
            drop_postgres_database(name)
    finally:
        replica.remove()


@pytest.fixture(scope="module")
def shared_replica() -> Iterator[tuple[StreamingReplica, str, str]]:
    with replica_with_database() as made:
        yield made


@pytest.fixture
def own_replica() -> Iterator[tuple[StreamingReplica, str, str]]:
    """For the test that stops its replica."""
    with replica_with_database() as made:
        yield made


# -- apps -----------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_api(
    primary_url: str, replica_url: str, redis_url: str | None = None
) -> AsyncIterator[Api]:
    settings = Settings(
        database_url=primary_url,
        replica_urls=(replica_url,),
        redis_url=redis_url,
        replica_max_lag_s=30,  # a busy machine must not make the replica "lagging" here
        jwt_secret=SECRET,
        checkout_wait_ms=5000,
    )
    container = build_container(settings)
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    app = create_app(container)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://shop", timeout=30
        ) as client:
            client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # keeps none
            yield Api(client, app)


@pytest.fixture
async def shops(
    shared_replica: tuple[StreamingReplica, str, str],
) -> AsyncIterator[tuple[Api, Api]]:
    """Two API processes on one primary and one replica."""
    _, primary_url, replica_url = shared_replica
    async with (
        running_api(primary_url, replica_url) as a,
        running_api(primary_url, replica_url) as b,
    ):
        yield a, b


# -- helpers --------------------------------------------------------------------------------------


async def primary_position() -> int:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        lsn = parse_lsn(await conn.fetchval("SELECT pg_current_wal_lsn()::text"))
    finally:
        await conn.close()
    assert lsn is not None
    return lsn


async def caught_up(api: Api, deadline_s: float = 30) -> None:
    """Until the app's router sees its replica serving and past the primary's position now."""
    router = api.app.state.container.read_router()
    target = await primary_position()
    deadline = time.monotonic() + deadline_s
    while not all(r.state == "ok" and r.replay_lsn >= target for r in router.replicas):
        assert time.monotonic() < deadline, f"the replica never caught up: {router.statuses()}"
        await asyncio.sleep(0.05)


async def reads(api: Api) -> Counter[tuple[str, str]]:
    """commerce_db_reads_total by (target, reason), from GET /metrics."""
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    counts: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(response.text):
        if family.name == "commerce_db_reads":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    counts[(sample.labels["target"], sample.labels["reason"])] = int(sample.value)
    return counts


def by_target(counts: Counter[tuple[str, str]]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (target, _), n in counts.items():
        totals[target] += n
    return totals


def order_ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {order["id"] for order in response.json()["items"]}


def prices(response: httpx.Response) -> set[Decimal]:
    assert response.status_code == 200, response.text
    return {Decimal(item["price"]) for item in response.json()["items"]}


# -- the tests ------------------------------------------------------------------------------------


async def test_a_customer_reads_back_the_cart_and_the_order_at_once(
    shops: tuple[Api, Api],
) -> None:
    a, b = shops
    admin = await a.admin()
    product = await a.product(admin, sku=f"RR-CART-{next(_sku)}", stock=50)
    customer = await a.customer()
    await caught_up(a)

    # The cart: its lines live outside the database, its view reads the catalog. A change pins
    # the customer's reads to the primary for a moment (stickiness), token or not.
    await a.in_cart(customer, product["id"], 2)
    cart = await a.http.get("/cart", headers=customer["headers"])
    assert cart.status_code == 200, cart.text
    assert [(line["product_id"], line["quantity"]) for line in cart.json()["items"]] == [
        (product["id"], 2)
    ]

    started = time.monotonic()
    placed = await a.checkout(customer)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    token = placed.headers[TOKEN]
    assert parse_lsn(token) is not None
    assert f"{COOKIE}={token}" in placed.headers["set-cookie"]

    # Token path: process B never saw this write; the token sends the read to the primary.
    before = await reads(b)
    with_token = await b.http.get("/orders", headers={**customer["headers"], TOKEN: token})
    assert order_id in order_ids(with_token)
    if time.monotonic() - started < SURELY_STALE_S:  # else the replica may be past it already
        served = await reads(b) - before
        assert served[("primary", "behind")] == 1, served

    # Cookie path: a browser sends back the cookie rather than the header.
    with_cookie = await b.http.get(
        "/orders", headers={**customer["headers"], "Cookie": f"{COOKIE}={token}"}
    )
    assert order_id in order_ids(with_cookie)

    # Stickiness: no token, no cookie, on the process that took the write.
    assert order_id in order_ids(await a.http.get("/orders", headers=customer["headers"]))

    # No token on a process that does not know the writer: the replica's older state.
    without = await b.http.get("/orders", headers=customer["headers"])
    if time.monotonic() - started < SURELY_STALE_S:
        assert order_id not in order_ids(without)

    # Once the replica has replayed past the token, it serves the token's reads itself.
    await caught_up(b)
    before = await reads(b)
    assert order_id in order_ids(
        await b.http.get("/orders", headers={**customer["headers"], TOKEN: token})
    )
    assert (await reads(b) - before)[("replica", "replica")] == 1


async def test_an_anonymous_reader_may_see_the_replicas_older_state(
    shops: tuple[Api, Api],
) -> None:
    a, _ = shops
    admin = await a.admin()
    category = f"rr-stale-{next(_sku)}"
    product = await a.product(admin, sku=f"RR-STALE-{next(_sku)}", category=category, price="10.00")
    await caught_up(a)
    listing = f"/products?category={category}"

    started = time.monotonic()
    patched = await a.http.patch(
        f"/products/{product['id']}", json={"price": "12.50"}, headers=admin["headers"]
    )
    assert patched.status_code == 200, patched.text
    token = patched.headers[TOKEN]
    anonymous_list = await a.http.get(listing)
    anonymous_detail = await a.http.get(f"/products/{product['id']}")
    if time.monotonic() - started < SURELY_STALE_S:
        assert prices(anonymous_list) == {Decimal("10.00")}
        assert Decimal(anonymous_detail.json()["price"]) == Decimal("10.00")

    before = await reads(a)
    assert prices(await a.http.get(listing, headers={TOKEN: token})) == {Decimal("12.50")}
    assert prices(await a.http.get(listing, headers={"Cookie": f"{COOKIE}={token}"})) == {
        Decimal("12.50")
    }
    # The admin, signed in, sends no token: the process remembers the writer.
    assert prices(await a.http.get(listing, headers=admin["headers"])) == {Decimal("12.50")}
    if time.monotonic() - started < SURELY_STALE_S:
        assert by_target(await reads(a) - before)["replica"] == 0

    # The stale copy the anonymous reader got was not cached: once the replica has replayed
    # the change, everyone reads the new price (from the replica).
    await caught_up(a)
    before = await reads(a)
    assert Decimal((await a.http.get(f"/products/{product['id']}")).json()["price"]) == Decimal(
        "12.50"
    )
    assert prices(await a.http.get(listing)) == {Decimal("12.50")}
    assert by_target(await reads(a) - before)["replica"] >= 1


async def test_reports_are_read_from_the_replica_with_the_primarys_figures_once_caught_up(
    shops: tuple[Api, Api],
) -> None:
    a, b = shops
    admin = await a.admin()
    product = await a.product(
        admin, sku=f"RR-REPORT-{next(_sku)}", price="7.25", currency="EUR", stock=20
    )
    customer = await a.customer()
    await a.in_cart(customer, product["id"], 2)
    await caught_up(b)  # the replica has the reporting tables, and the order not yet
    started = time.monotonic()
    placed = await a.checkout(customer)
    assert placed.status_code == 201, placed.text

    # Reporting folds the saga's events on the primary: wait for them there (no request scope,
    # so the store reads the primary).
    today = datetime.now(UTC).date()
    period = (today - timedelta(days=1), today + timedelta(days=1))
    store: ReportReader = a.app.state.container.reporting_store()
    deadline = time.monotonic() + 30
    while not any(
        row.key == product["id"] and row.units == 2
        for row in (await store.sales(*period, SalesGrouping.PRODUCT)).rows
    ):
        assert time.monotonic() < deadline, "reporting never counted the order on the primary"
        await asyncio.sleep(0.05)

    sales = "/reports/sales"
    params = {"from": period[0].isoformat(), "to": period[1].isoformat(), "group_by": "product"}
    # Process B never saw a write of this admin: its reports come from the replica, which
    # replays the order 2 s after its commit, so a report read at once cannot count it yet.
    stale = await b.http.get(sales, params=params, headers=admin["headers"])
    assert stale.status_code == 200, stale.text
    stale_after_s = time.monotonic() - started
    if stale_after_s < SURELY_STALE_S:
        assert product["id"] not in {row["key"] for row in stale.json()["rows"]}

    await caught_up(b)
    paths = [
        (sales, params),
        ("/reports/inventory", {}),
        ("/reports/low-stock", {}),
        ("/reports/funnel", {"from": params["from"], "to": params["to"]}),
    ]
    before = await reads(b)
    from_replica = [
        await b.http.get(path, params=query, headers=admin["headers"]) for path, query in paths
    ]
    served = await reads(b) - before
    print(f"\nreports: stale read {stale_after_s:.2f} s after checkout; caught up: {dict(served)}")
    assert served == Counter({("replica", "replica"): len(paths)}), served

    # The same reports from the primary (a token no replica can meet) give the same figures.
    primary_only = {**admin["headers"], TOKEN: format_lsn(PRIMARY_ONLY)}
    before = await reads(b)
    from_primary = [await b.http.get(path, params=q, headers=primary_only) for path, q in paths]
    assert by_target(await reads(b) - before) == Counter({"primary": len(paths)})
    for replica_answer, primary_answer in zip(from_replica, from_primary, strict=True):
        assert replica_answer.status_code == 200, replica_answer.text
        assert replica_answer.json() == primary_answer.json()

    rows = {row["key"]: row for row in from_replica[0].json()["rows"]}
    assert rows[product["id"]] == {
        "key": product["id"],
        "label": product["name"],
        "currency": "EUR",
        "orders": 1,
        "units": 2,
        "revenue": "14.50",
    }
    stock = {row["product_id"]: row for row in from_replica[1].json()["rows"]}
    assert stock[product["id"]]["available"] == 18, stock[product["id"]]


async def _browse(api: Api, product_ids: list[str], rounds: int) -> list[int]:
    statuses = []
    for i in range(rounds):
        if i % 3 == 0:
            response = await api.http.get("/products", params={"page_size": 5, "sort": "name"})
        elif i % 3 == 1:
            response = await api.http.get("/products", params={"q": "gadget"})
        else:
            response = await api.http.get(f"/products/{product_ids[i % len(product_ids)]}")
        statuses.append(response.status_code)
    return statuses


async def _shop(api: Api, product_ids: list[str], rounds: int) -> list[int]:
    customer = await api.customer()
    statuses = []
    for i in range(rounds):
        for response in (
            await api.http.post(
                "/cart/items",
                headers=customer["headers"],
                json={
                    "product_id": product_ids[i % len(product_ids)],
                    "quantity": 1,
                },
            ),
            await api.http.get("/cart", headers=customer["headers"]),
            await api.checkout(customer),
            await api.http.get("/orders", headers=customer["headers"]),
        ):
            statuses.append(response.status_code)
    return statuses


async def _catalog(api: Api, count: int) -> list[str]:
    admin = await api.admin()
    return [
        (await api.product(admin, sku=f"RR-MIX-{next(_sku)}", name=f"Gadget {i}", stock=1000))["id"]
        for i in range(count)
    ]


async def test_most_reads_of_a_mixed_run_are_served_by_the_replica(
    shops: tuple[Api, Api],
) -> None:
    a, _ = shops
    product_ids = await _catalog(a, 6)
    await caught_up(a)
    before = await reads(a)
    results = await asyncio.gather(
        *(_browse(a, product_ids, rounds=15) for _ in range(8)),
        *(_shop(a, product_ids, rounds=3) for _ in range(3)),
    )
    statuses = Counter(status for result in results for status in result)
    assert set(statuses) <= {200, 201}, statuses
    served = by_target(await reads(a) - before)
    share = served["replica"] / (served["replica"] + served["primary"])
    print(
        f"\nmixed run: {dict(statuses)} responses; reads {dict(served)}; replica share {share:.0%}"
    )
    assert share > 0.5, served


async def test_stopping_the_replica_mid_run_loses_no_request(
    own_replica: tuple[StreamingReplica, str, str],
) -> None:
    replica, primary_url, replica_url = own_replica
    async with running_api(primary_url, replica_url) as api:
        product_ids = await _catalog(api, 4)
        await caught_up(api)
        ready = (await api.http.get("/ready")).json()
        assert [r["state"] for r in ready["replicas"]] == ["ok"], ready

        stopped = asyncio.Event()
        answered: list[int] = []

        async def stop_when_busy() -> None:
            deadline = time.monotonic() + 30
            while len(answered) < 60:  # the run is well under way
                assert time.monotonic() < deadline, "the run never got going"
                await asyncio.sleep(0.01)
            await asyncio.to_thread(replica.stop)
            stopped.set()

        async def browse_until_stopped() -> list[int]:
            while not stopped.is_set():
                answered.extend(await _browse(api, product_ids, rounds=3))
            return await _browse(api, product_ids, rounds=12)

        before = await reads(api)
        results: list[Any] = await asyncio.gather(
            stop_when_busy(),
            *(browse_until_stopped() for _ in range(6)),
            *(_shop(api, product_ids, rounds=2) for _ in range(2)),
        )
        statuses = Counter(answered)
        statuses.update(status for result in results[1:] for status in result)
        assert set(statuses) <= {200, 201}, statuses
        served = await reads(api) - before
        print(f"\nreplica stopped mid-run: {dict(statuses)} responses; reads {dict(served)}")
        assert by_target(served)["replica"] > 0
        assert by_target(served)["primary"] > 0

        deadline = time.monotonic() + 15
        while True:
            response = await api.http.get("/ready")
            assert response.status_code == 200, response.text
            body = response.json()
            if body["replicas"][0]["state"] == "down":
                break
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.05)
        assert body["checks"]["database"] == "ok"
        assert body["replicas"][0]["error"]


@pytest.fixture
async def redis_prefix(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The apps' Redis keys under a prefix of this test's own, removed at the end."""
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as error:
        await client.aclose()
        require_service(False, f"Redis at {REDIS_URL} is not reachable: {error}")
    prefix = f"test-replicas-{secrets.token_hex(4)}:"
    monkeypatch.setenv("COMMERCE_REDIS_PREFIX", prefix)
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_with_redis_every_api_process_knows_the_writer(
    shared_replica: tuple[StreamingReplica, str, str], redis_prefix: str
) -> None:
    _, primary_url, replica_url = shared_replica
    async with (
        running_api(primary_url, replica_url, REDIS_URL) as a,
        running_api(primary_url, replica_url, REDIS_URL) as b,
    ):
        admin = await a.admin()
        product = await a.product(admin, sku=f"RR-REDIS-{next(_sku)}", stock=10)
        customer = await a.customer()
        await caught_up(a)

        await a.in_cart(customer, product["id"], 3)
        cart = await b.http.get("/cart", headers=customer["headers"])  # no token, process B
        assert [line["quantity"] for line in cart.json()["items"]] == [3], cart.text

        started = time.monotonic()
        placed = await a.checkout(customer)
        assert placed.status_code == 201, placed.text
        before = await reads(b)
        orders = await b.http.get("/orders", headers=customer["headers"])  # no token either
        assert placed.json()["id"] in order_ids(orders)
        if time.monotonic() - started < SURELY_STALE_S:
            assert by_target(await reads(b) - before)["replica"] == 0
