"""A distributed shop in real processes: N ``commerce serve`` and N ``commerce worker`` on a fresh
PostgreSQL database, Redis and RabbitMQ, every name under a random prefix; removed at the end.
Used by the multi-process test and the distributed benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import redis.asyncio as aioredis

PG_ADMIN_DSN = os.environ.get("COMMERCE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("COMMERCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("COMMERCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "admin password 1"
COMMERCE = [sys.executable, "-m", "entrypoints.cli"]

# Records every outbox row ever written (the relay deletes delivered rows).
AUDIT_SQL = """
CREATE TABLE outbox_audit (message_id text PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION audit_outbox() RETURNS trigger AS $$
BEGIN INSERT INTO outbox_audit VALUES (NEW.message_id, NEW.name); RETURN NEW; END $$
LANGUAGE plpgsql;
CREATE TRIGGER outbox_audit AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION audit_outbox();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def services_up() -> str | None:
    """None when PostgreSQL, Redis and RabbitMQ all answer, else what is missing."""
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
        await conn.close()
        client = aioredis.from_url(REDIS_URL)
        await client.ping()
        await client.aclose()
        amqp = await aio_pika.connect(AMQP_URL, timeout=3)
        await amqp.close()
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


class Cluster:
    def __init__(self, workdir: Path, *, apis: int = 2, workers: int = 2,
                 env: dict[str, str] | None = None) -> None:
        tag = uuid.uuid4().hex[:8]
        self.workdir = workdir
        self.database = f"commerce_mp_{tag}"
        self.amqp_prefix = f"mp-{tag}"
        self.redis_prefix = f"mp-{tag}:"
        self.pg_dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{self.database}"
        self.env = {
            **os.environ,
            "COMMERCE_DATABASE_URL": "postgresql+asyncpg://" + self.pg_dsn.split("://", 1)[1],
            "COMMERCE_REDIS_URL": REDIS_URL,
            "COMMERCE_AMQP_URL": AMQP_URL,
            "COMMERCE_AMQP_PREFIX": self.amqp_prefix,
            "COMMERCE_REDIS_PREFIX": self.redis_prefix,
            "COMMERCE_JWT_SECRET": uuid.uuid4().hex * 2,
            "COMMERCE_DATABASE_POOL_SIZE": "8",
            **(env or {}),
        }
        self.ports = [free_port() for _ in range(apis)]
        self.apis: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * workers
        self._logs: list[Any] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / log_name).open("ab")
        self._logs.append(log)
        return subprocess.Popen([*COMMERCE, *args], env=self.env, stdout=log, stderr=log,
                                cwd=self.workdir)

    async def start(self) -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'CREATE DATABASE "{self.database}"')
        await admin.close()
        await self._run_cli(["db", "upgrade"])
        conn = await asyncpg.connect(self.pg_dsn)
        await conn.execute(AUDIT_SQL)
        await conn.close()
        await self._run_cli(["users", "create-admin", "--email", ADMIN_EMAIL,
                             "--password", ADMIN_PASSWORD])
        for i in range(len(self.workers)):
            self.start_worker(i)
        for i, port in enumerate(self.ports):
            self.apis.append(self._spawn(["serve", "--port", str(port)], f"api{i}.log"))
        async with httpx.AsyncClient() as client:
            for url in self.urls:
                await wait_until_ready(client, url)

    async def _run_cli(self, args: list[str]) -> None:
        process = await asyncio.create_subprocess_exec(
            *COMMERCE, *args, env=self.env, cwd=self.workdir,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"commerce {' '.join(args)}: {err.decode()[-2000:]}")

    def start_worker(self, i: int) -> None:
        self.workers[i] = self._spawn(["worker"], f"worker{i}.log")

    def kill_worker(self, i: int) -> None:
        worker = self.workers[i]
        assert worker is not None
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    async def stop(self) -> None:
        for process in [*self.apis, *self.workers]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.apis, *self.workers]:
            if process is not None:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        for log in self._logs:
            log.close()
        if os.environ.get("COMMERCE_KEEP_CLUSTER") == "1":  # to look at after a failure
            return
        await self._remove_broker_objects()
        client = aioredis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(match=f"{self.redis_prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        await admin.close()

    async def _remove_broker_objects(self) -> None:
        from adapters.rabbitmq.topology import Topology, subscriptions
        from entrypoints.container import build_container
        from entrypoints.settings import Settings
        from entrypoints.worker import OUTCOMES_CONSUMER

        names = [*subscriptions(build_container(Settings()).bus()), OUTCOMES_CONSUMER]
        topology = Topology(self.amqp_prefix)
        with contextlib.suppress(Exception):
            connection = await aio_pika.connect(AMQP_URL, timeout=10)
            channel = await connection.channel()
            await topology.delete(channel, [topology.queue_name(n) for n in names])
            await connection.close()

    def log_tails(self, lines: int = 150) -> str:
        """The workers' and APIs' logs without the broker-reconnect noise, the last ``lines`` of
        each: printed when a multi-process test fails (pytest shows it with the failure)."""
        noise = ("aiormq.connection", "Connection attempt to", "alembic.", 'HTTP/1.1" 20')
        out = []
        for path in sorted(self.workdir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()
            kept = [line for line in text if not any(n in line for n in noise)]
            out.append(f"===== {path.name} ({len(text)} lines, last {lines} kept) =====")
            out.extend(kept[-lines:])
        return "\n".join(out)

    async def sql(self, query: str) -> list[Any]:
        conn = await asyncpg.connect(self.pg_dsn)
        try:
            return list(await conn.fetch(query))
        finally:
            await conn.close()


async def wait_until_ready(client: httpx.AsyncClient, url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if (await client.get(f"{url}/ready")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not ready in {timeout_s} s")
        await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def running_cluster(workdir: Path, **kwargs: Any) -> AsyncIterator[Cluster]:
    cluster = Cluster(workdir, **kwargs)
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop()


# -- the shop's HTTP API, as a customer and an admin would use it ------------------------------

CHECKOUT_BODY = {"payment_method": {"type": "card", "token": "tok_visa"}}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def admin_token(client: httpx.AsyncClient, url: str) -> str:
    response = await client.post(f"{url}/auth/login",
                                 json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


async def a_product(client: httpx.AsyncClient, url: str, token: str, *, stock: int) -> str:
    response = await client.post(f"{url}/products", headers=bearer(token), json={
        "sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "Limited widget", "description": "x",
        "category": "tools", "price": "10.00", "currency": "EUR", "stock": stock,
    })
    response.raise_for_status()
    product_id = str(response.json()["id"])
    deadline = time.monotonic() + 60
    while (await client.get(f"{url}/admin/inventory/{product_id}",
                            headers=bearer(token))).status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError("the stock of the new product never opened")
        await asyncio.sleep(0.1)
    return product_id


async def a_customer(client: httpx.AsyncClient, url: str, n: int) -> str:
    response = await client.post(f"{url}/auth/register", json={
        "email": f"c{n}-{uuid.uuid4().hex[:6]}@example.com", "password": "correct horse",
        "name": f"C{n}",
    })
    response.raise_for_status()
    return str(response.json()["access_token"])


async def buy_one(client: httpx.AsyncClient, url: str, token: str,
                  product_id: str) -> tuple[str, str | None, float]:
    """Adds one unit and checks out: (outcome, order id, checkout seconds). The outcome is the
    HTTP answer: CONFIRMED (201), PENDING (202), CANCELLED (402/409 with an order), REFUSED."""
    added = await client.post(f"{url}/cart/items", headers=bearer(token),
                              json={"product_id": product_id, "quantity": 1})
    if added.status_code == 409:
        return "REFUSED", None, 0.0
    added.raise_for_status()
    started = time.perf_counter()
    response = await client.post(f"{url}/orders/checkout", headers=bearer(token),
                                 json=CHECKOUT_BODY)
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code in (201, 202):
        return str(body["status"]), str(body["id"]), elapsed
    if response.status_code in (402, 409) and body.get("order_id"):
        return "CANCELLED", str(body["order_id"]), elapsed
    if response.status_code == 409:
        return "REFUSED", None, elapsed
    raise AssertionError(f"checkout answered {response.status_code}: {body}")


async def final_status(client: httpx.AsyncClient, url: str, token: str, order_id: str,
                       timeout_s: float = 180) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = await client.get(f"{url}/orders/{order_id}", headers=bearer(token))
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # A pooled keep-alive connection that the server closed as idle just as this GET
            # went out (uvicorn drops idle ones after 5 s); the GET is safe to send again.
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)
            continue
        if response.status_code == 200 and response.json()["status"] != "PENDING":
            return str(response.json()["status"])
        if time.monotonic() > deadline:
            return "PENDING"
        await asyncio.sleep(0.25)


# -- a run of checkouts ------------------------------------------------------------------------


class CheckoutRun:
    """``customers`` customers over every API, each buying one unit of a product of ``units``;
    ``chaos`` runs beside them and is handed the count of checkouts started."""

    def __init__(self, cluster: Cluster, client: httpx.AsyncClient, *, customers: int,
                 units: int, concurrency: int) -> None:
        self.cluster, self.client = cluster, client
        self.customers, self.units, self.concurrency = customers, units, concurrency
        self.answers: list[tuple[str, str | None, float]] = []
        self.finals: dict[str, int] = {}
        self.elapsed_s = 0.0
        self.started = 0
        self.progress = asyncio.Condition()

    async def reached(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: self.started >= count)

    async def run(self, settle_timeout_s: float = 180) -> None:
        urls = self.cluster.urls
        admin = await admin_token(self.client, urls[0])
        self.admin, self.product_id = admin, await a_product(self.client, urls[0], admin,
                                                             stock=self.units)
        gate = asyncio.Semaphore(8)

        async def register(i: int) -> str:
            async with gate:
                return await a_customer(self.client, urls[i % len(urls)], i)

        tokens = await asyncio.gather(*(register(i) for i in range(self.customers)))
        checkout_gate = asyncio.Semaphore(self.concurrency)

        async def customer(i: int) -> tuple[str, str | None, float]:
            async with checkout_gate:
                async with self.progress:
                    self.started += 1
                    self.progress.notify_all()
                return await buy_one(self.client, urls[i % len(urls)], tokens[i],
                                     self.product_id)

        started = time.perf_counter()
        self.answers = await asyncio.gather(*(customer(i) for i in range(self.customers)))
        deadline = time.monotonic() + settle_timeout_s

        async def settle(i: int, outcome: str, order_id: str | None) -> str:
            if order_id is None or outcome in ("CONFIRMED", "CANCELLED"):
                return outcome
            return await final_status(self.client, urls[i % len(urls)], tokens[i], order_id,
                                      timeout_s=max(0.0, deadline - time.monotonic()))

        finals = await asyncio.gather(*(settle(i, o, oid)
                                        for i, (o, oid, _) in enumerate(self.answers)))
        self.elapsed_s = time.perf_counter() - started
        counts: dict[str, int] = {}
        for status in finals:
            counts[status] = counts.get(status, 0) + 1
        self.finals = counts

    async def stock(self) -> dict[str, int]:
        response = await self.client.get(
            f"{self.cluster.urls[-1]}/admin/inventory/{self.product_id}",
            headers=bearer(self.admin),
        )
        return dict(response.json())

    def checkout_latencies(self) -> list[float]:
        return sorted(t for outcome, _, t in self.answers if outcome != "REFUSED" and t > 0)
