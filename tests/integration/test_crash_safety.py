"""Nothing lost: a process killed right after its commit leaves the events in the outbox, and a
fresh process relays them until the saga finishes. Nothing invented: a transaction that rolled
back leaves no event behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from shops import a_product, sql_shop, sql_url, stock_figures

from commerce_core.identity.commands import RegisterUser
from commerce_core.ordering.commands import GetOrder
from commerce_core.ordering.model import Order, OrderStatus
from commerce_core.shared.money import Money
from entrypoints.workers import relay_once

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).with_name("crash_checkout.py")
SRC = Path(__file__).parents[2] / "src"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_checkout_killed_after_its_commit_is_finished_by_the_relay(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sql_url(backend, tmp_path, request)
    async with sql_shop(url) as shop:
        user = await shop.handle(RegisterUser("ana@example.com", "correct horse battery", "Ana"))
        product_id = await a_product(shop, 5)

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get(
        "PYTHONPATH", "")])}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), url, user.id, product_id,
        stdout=asyncio.subprocess.PIPE, env=env,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode().split()
    assert line[:1] == ["COMMITTED"], line
    order_id = line[1]
    process.send_signal(signal.SIGKILL)
    await process.wait()
    assert process.returncode == -signal.SIGKILL

    async with sql_shop(url) as shop:
        outbox = shop.container.outbox()
        assert await outbox.backlog() >= 1  # OrderCreated waits there
        order = await shop.handle(GetOrder(order_id=order_id, requested_by=user.id))
        assert order.status is OrderStatus.PENDING
        for _ in range(20):
            await relay_once(outbox, shop.bus, min_age_s=0)
            if await outbox.backlog() == 0:
                break
        assert await outbox.backlog() == 0
        order = await shop.handle(GetOrder(order_id=order_id, requested_by=user.id))
        assert order.status is OrderStatus.CONFIRMED
        assert await stock_figures(shop, product_id) == (3, 0, 3)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_handler_that_fails_after_recording_events_publishes_none(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from datetime import UTC, datetime

    from commerce_core.ordering.model import OrderLine

    url = sql_url(backend, tmp_path, request)
    async with sql_shop(url) as shop:
        product_id = await a_product(shop, 5)
        outbox = shop.container.outbox()
        assert await outbox.backlog() == 0
        uow = shop.container.uow()

        async def failing_handler() -> None:
            async with uow:
                order = Order.place(
                    order_id="o-doomed", user_id="u-1",
                    lines=[OrderLine(product_id, "HOT-1", "Hot", 1, Money.of("5.00", "EUR"))],
                    payment_method="tok_visa", now=datetime.now(UTC),
                )
                uow.orders.add(order)
                stocks = await uow.stock.get_many([product_id])
                stocks[product_id].reserve(1, "o-doomed", datetime.now(UTC))
                assert order.pending_events  # OrderCreated is recorded...
                raise ValueError("...and then the handler fails")

        with pytest.raises(ValueError, match="handler fails"):
            await failing_handler()
        assert uow.collect_new_events() == []
        assert await outbox.backlog() == 0
        async with shop.container.uow() as fresh:
            assert await fresh.orders.get("o-doomed") is None
        assert await stock_figures(shop, product_id) == (5, 0, 5)
