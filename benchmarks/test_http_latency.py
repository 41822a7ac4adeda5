"""HTTP latency over a real uvicorn server (a subprocess), at 1 and 32 concurrent clients.

Measures p50/p99 of login, product search, add to cart and checkout (tok_visa, so the whole saga
runs before the 201) as the client sees them and as the server spent them (its Server-Timing
header), checkouts per second, and the server's peak RSS (VmHWM). The server runs
on a SQLite file when the SQL adapters are installed, else in memory; the report says which
(COMMERCE_BENCH_STORAGE=memory forces memory://, to separate the HTTP layer from the database).

Login throttling is raised for the run (the same client address logs in hundreds of times); the
limiter is still consulted on every login, so its cost is in the figures. Passwords use the real
argon2id parameters.

    python -m pytest benchmarks/test_http_latency.py -q -s
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.serving import answering, free_port

PASSWORD = "correct horse battery"
SERVER = """
import asyncio
import uvicorn
from commerce_core.identity.auth import LoginThrottle
from commerce_core.identity.commands import CreateAdmin
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.http import create_app
from entrypoints.settings import Settings

async def create_admin(container):
    async with open_shop(container=container) as shop:
        await shop.handle(CreateAdmin("bench-admin@example.com", {password!r}))

container = build_container(Settings.from_env())
container.login_throttle.override(LoginThrottle(per_account=10**9, per_client=10**9))
if container.settings().is_memory:
    asyncio.run(create_admin(container))  # the same process must hold the in-memory admin
else:
    asyncio.run(create_admin(build_container(Settings.from_env())))
uvicorn.run(create_app(container), host="127.0.0.1", port={port}, log_level="warning")
"""
FLOOR_P99_MS = {"login": 100, "search": 50, "add_to_cart": 20, "checkout": 500}
OPERATIONS_PER_CLIENT = {1: {"login": 40, "search": 300, "add_to_cart": 300, "checkout": 100},
                         32: {"login": 8, "search": 40, "add_to_cart": 40, "checkout": 15}}


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_")}
    wanted = os.environ.get("COMMERCE_BENCH_STORAGE", "sqlite")
    if wanted == "sqlite" and importlib.util.find_spec("entrypoints.sql_profile") is not None:
        database = tmp_path_factory.mktemp("bench") / "shop.db"
        env["COMMERCE_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
        storage = "SQLite file"
    else:
        env["COMMERCE_DATABASE_URL"] = "memory://"
        storage = "memory://"
    port = free_port()
    command = [sys.executable, "-c", SERVER.format(port=port, password=PASSWORD)]
    with answering(command, port, env=env) as process:
        yield f"http://127.0.0.1:{port}", process.pid, storage


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


SERVER_SAMPLES: dict[int, list[float]] = {}


async def _timed(samples: list[float], call: Awaitable[httpx.Response],
                 expect: int | set[int]) -> httpx.Response:
    start = time.perf_counter()
    response = await call
    samples.append((time.perf_counter() - start) * 1000)
    # The server's own time (Server-Timing), to tell it from client-side queueing.
    timing = response.headers.get("server-timing", "")
    if timing.startswith("app;dur="):
        SERVER_SAMPLES.setdefault(id(samples), []).append(float(timing.split("=", 1)[1]))
    assert response.status_code in ({expect} if isinstance(expect, int) else expect), response.text
    return response


async def _run_level(base: str, clients: int, admin: dict[str, str],
                     product_ids: list[str]) -> dict[str, Any]:
    counts = OPERATIONS_PER_CLIENT[clients]
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        emails = [f"c{clients}-{i}-{time.time_ns()}@example.com" for i in range(clients)]
        sessions = await asyncio.gather(*(
            http.post("/auth/register", json={"email": e, "password": PASSWORD, "name": "B"})
            for e in emails
        ))
        headers = [{"Authorization": f"Bearer {s.json()['access_token']}"} for s in sessions]
        samples: dict[str, list[float]] = {name: [] for name in counts}
        outlived: list[bool] = []

        async def each_client(step: Callable[[int, int], Awaitable[None]], n: int) -> float:
            async def client(c: int) -> None:
                for i in range(n):
                    await step(c, i)

            start = time.perf_counter()
            await asyncio.gather(*(client(c) for c in range(clients)))
            return time.perf_counter() - start

        async def login(c: int, i: int) -> None:
            await _timed(samples["login"], http.post(
                "/auth/login", json={"email": emails[c], "password": PASSWORD}), 200)

        async def search(c: int, i: int) -> None:
            word = ("mug", "tool", "blue", "kitchen")[i % 4]
            await _timed(samples["search"], http.get(
                "/products", params={"q": word, "page_size": 20}), 200)

        async def add(c: int, i: int) -> None:
            pid = product_ids[(c * 31 + i) % 50]  # a cart holds at most 100 lines
            await _timed(samples["add_to_cart"], http.post(
                "/cart/items", headers=headers[c], json={"product_id": pid, "quantity": 1}), 200)

        async def checkout(c: int, i: int) -> None:
            pid = product_ids[(c * 17 + i) % len(product_ids)]
            added = await http.post("/cart/items", headers=headers[c],
                                    json={"product_id": pid, "quantity": 1})
            assert added.status_code == 200, added.text
            response = await _timed(samples["checkout"], http.post(
                "/orders/checkout", headers=headers[c],
                json={"payment_method": {"type": "card", "token": "tok_visa"}}), {201, 202})
            # 202: the saga outlived COMMERCE_CHECKOUT_WAIT_MS (it still confirms later).
            outlived.append(response.status_code == 202)

        await each_client(login, counts["login"])
        await each_client(search, counts["search"])
        await each_client(add, counts["add_to_cart"])
        for h in headers:
            await http.delete("/cart", headers=h)
        checkout_seconds = await each_client(checkout, counts["checkout"])

    figures: dict[str, Any] = {}
    for name, values in samples.items():
        figures[f"{name}_p50_ms"] = round(statistics.median(values), 2)
        figures[f"{name}_p99_ms"] = round(_percentile(values, 99), 2)
        figures[f"{name}_n"] = len(values)
        server_side = SERVER_SAMPLES.pop(id(values), [])
        if server_side:
            figures[f"{name}_server_p50_ms"] = round(statistics.median(server_side), 2)
            figures[f"{name}_server_p99_ms"] = round(_percentile(server_side, 99), 2)
    figures["checkouts_per_s"] = round(len(samples["checkout"]) / checkout_seconds, 1)
    figures["checkouts_answered_202"] = sum(outlived)
    return figures


async def _setup(base: str, storage: str) -> tuple[dict[str, str], list[str]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        login = await http.post("/auth/login", json={"email": "bench-admin@example.com",
                                                     "password": PASSWORD})
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        ids = []
        for i in range(200):
            name = f"{('Blue', 'Red', 'Green', 'Black')[i % 4]} {('mug', 'tool')[i % 2]} {i}"
            response = await http.post("/products", headers=admin, json={
                "sku": f"BENCH-{i}", "name": name, "description": "for the benchmark",
                "category": ("kitchen", "tools")[i % 2], "price": "9.99", "currency": "USD",
                "stock": 1_000_000,
            })
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        return admin, ids


def test_http_latency(benchmark: Any, server: tuple[str, int, str]) -> None:
    base, pid, storage = server
    report: dict[str, Any] = {"storage": storage}

    def run() -> None:
        async def everything() -> None:
            admin, ids = await _setup(base, storage)
            for clients in (1, 32):
                figures = await _run_level(base, clients, admin, ids)
                report.update({f"c{clients}_{k}": v for k, v in figures.items()})

        asyncio.run(everything())

    benchmark.pedantic(run, rounds=1, iterations=1)
    report["server_peak_rss_mib"] = round(_peak_rss_mib(pid), 1)
    benchmark.extra_info.update(report)
    print(f"\nHTTP latency ({storage}, uvicorn subprocess, argon2id OWASP parameters)")
    print(f"{'operation':<12} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'floor p99':>9}"
          f" {'server p50':>10} {'server p99':>10}")
    for clients in (1, 32):
        for name, floor in FLOOR_P99_MS.items():
            key = f"c{clients}_{name}"
            print(f"{name:<12} {clients:>7} {report[f'{key}_p50_ms']:>8} "
                  f"{report[f'{key}_p99_ms']:>8} {floor:>9} "
                  f"{report.get(f'{key}_server_p50_ms', '-'):>10} "
                  f"{report.get(f'{key}_server_p99_ms', '-'):>10}")
        print(f"checkouts/s at {clients} client(s): {report[f'c{clients}_checkouts_per_s']}"
              f" ({report[f'c{clients}_checkouts_answered_202']} answered 202)")
    print(f"server peak RSS (VmHWM): {report['server_peak_rss_mib']} MiB")
