"""The distributed mode beside the embedded one, and RabbitMQ's own confirmed-publish rate.

- raw: a small aio-pika loop publishing persistent messages to a quorum queue, batches of 200
  with their confirms awaited together (what the outbox relay does), in messages per second;
- distributed: 2 ``commerce serve`` + 2 ``commerce worker`` on PostgreSQL, Redis, RabbitMQ;
- embedded: 1 ``commerce serve`` on the same PostgreSQL, in-process bus and workers.

Each shop takes CUSTOMERS checkouts (tok_visa, one unit each, enough stock for all) from
CONCURRENCY clients; sagas/s counts orders that reached CONFIRMED from the first checkout to the
last outcome; checkout p50/p99 is the POST /orders/checkout round trip (a 202 past the 2 s wait
counts as its 2 s).

    python -m pytest benchmarks/test_distributed.py -q -s
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import aio_pika
import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "distributed"))

from cluster_harness import AMQP_URL, CheckoutRun, running_cluster, services_up

CUSTOMERS, CONCURRENCY, RAW_MESSAGES, RAW_BATCH = 200, 16, 5000, 200


async def raw_confirmed_publish_rate() -> float:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        body = b'{"event": "OrderCreated", "version": 1, "data": {}}' * 4
        started = time.perf_counter()
        for start in range(0, RAW_MESSAGES, RAW_BATCH):
            await asyncio.gather(*(
                channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=name, mandatory=True,
                )
                for _ in range(min(RAW_BATCH, RAW_MESSAGES - start))
            ))
        rate = RAW_MESSAGES / (time.perf_counter() - started)
        await channel.queue_delete(name)
        return rate
    finally:
        await connection.close()


async def shop_figures(workdir: Path, *, distributed: bool) -> dict[str, float]:
    env = {} if distributed else {"COMMERCE_AMQP_URL": "", "COMMERCE_REDIS_URL": ""}
    shape = {"apis": 2, "workers": 2} if distributed else {"apis": 1, "workers": 0}
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    async with running_cluster(workdir, env=env, **shape) as cluster, httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=64)
    ) as client:
        run = CheckoutRun(cluster, client, customers=CUSTOMERS, units=CUSTOMERS,
                          concurrency=CONCURRENCY)
        await run.run()
        latencies = run.checkout_latencies()
        confirmed = run.finals.get("CONFIRMED", 0)
        return {
            "confirmed": confirmed,
            "sagas_per_s": confirmed / run.elapsed_s,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        }


@pytest.mark.slow
async def test_distributed_beside_embedded(tmp_path: Path) -> None:
    missing = await services_up()
    if missing:
        pytest.skip(f"PostgreSQL, Redis and RabbitMQ are needed: {missing}")
    raw = await raw_confirmed_publish_rate()
    embedded = await shop_figures(tmp_path / "embedded", distributed=False)
    distributed = await shop_figures(tmp_path / "distributed", distributed=True)
    print(f"\nRabbitMQ raw confirmed publish: {raw:,.0f} msg/s (batches of {RAW_BATCH})")
    print(f"{'mode':<12}{'confirmed':>10}{'sagas/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for mode, figures in (("embedded", embedded), ("distributed", distributed)):
        print(f"{mode:<12}{figures['confirmed']:>10.0f}{figures['sagas_per_s']:>10.1f}"
              f"{figures['p50_ms']:>10.0f}{figures['p99_ms']:>10.0f}")
    assert embedded["confirmed"] == distributed["confirmed"] == CUSTOMERS
