"""1000 reservations expire while their payments succeed at the same moment. Each order ends
either confirmed (reservation committed) or cancelled (reservation released), never both, and
its stock comes back exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from shops import (
    a_product,
    customers_with_carts,
    database_of,
    sql_container,
    sql_url,
    stock_figures,
)

from adapters.sqlalchemy import tables as t
from adapters.system import ManualClock
from commerce_core.ordering.commands import Checkout, ExpireReservations
from commerce_core.payments.ports import ChargeRequest, ChargeResult
from entrypoints.embedded import open_shop
from entrypoints.workers import relay_once

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ORDERS = 1000


class GatedGateway:
    """Approves every charge once the test opens the gate; like a real gateway, refunds are keyed
    (a refund before the capture finds nothing, a second one finds it refunded)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0
        self.captured: set[str] = set()
        self.refunded: set[str] = set()

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.waiting += 1
        await self.gate.wait()
        self.captured.add(request.idempotency_key)
        return ChargeResult(True, reference=f"ch_{request.idempotency_key}")

    async def refund(self, idempotency_key: str) -> bool:
        if idempotency_key not in self.captured or idempotency_key in self.refunded:
            return False
        self.refunded.add(idempotency_key)
        return True


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_expiry_racing_payment_settles_each_order_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sql_url(backend, tmp_path, request)
    container = sql_container(url, payment_timeout_s=600.0, reservation_ttl_s=900)
    clock, gateway = ManualClock(), GatedGateway()
    container.clock.override(clock)
    container.gateway.override(gateway)
    async with open_shop(container=container) as shop:
        product_id = await a_product(shop, ORDERS)
        customers = await customers_with_carts(shop, product_id, ORDERS)
        checkouts = [
            asyncio.create_task(shop.handle(Checkout(user_id=c, payment_token="tok_visa")))
            for c in customers
        ]
        while gateway.waiting < ORDERS:  # every order reserved, every charge in flight
            await asyncio.sleep(0.05)
            assert not any(t.done() and t.exception() for t in checkouts)
        assert await stock_figures(shop, product_id) == (ORDERS, ORDERS, ORDERS)

        clock.advance(timedelta(seconds=901))

        async def sweep() -> None:
            while await shop.handle(ExpireReservations(limit=100)):
                pass

        async def payments_land() -> None:
            await asyncio.sleep(0.1)  # the sweepers are under way: the two interleave
            gateway.gate.set()

        await asyncio.gather(sweep(), sweep(), payments_land(), *checkouts)
        outbox = shop.container.outbox()
        while await relay_once(outbox, shop.bus, min_age_s=0):
            pass

        async with database_of(shop).transaction() as conn:
            cancelled = {
                row[0] for row in await conn.execute(
                    sa.select(t.orders.c.id).where(t.orders.c.status == "CANCELLED")
                )
            }
            pairs = Counter(
                (row[0], row[1]) for row in await conn.execute(
                    sa.select(t.orders.c.status, t.reservations.c.status)
                    .join(t.reservations, t.reservations.c.order_id == t.orders.c.id)
                )
            )
            settlements = Counter(
                row[0] for row in await conn.execute(
                    sa.select(t.stock_movements.c.reference)
                    .where(t.stock_movements.c.delta_reserved < 0)
                )
            )
        assert set(pairs) <= {("CONFIRMED", "COMMITTED"), ("CANCELLED", "RELEASED")}, pairs
        assert sum(pairs.values()) == ORDERS
        # Each order's reserved unit left the reservation exactly once: committed or released.
        assert len(settlements) == ORDERS
        assert set(settlements.values()) == {1}
        confirmed = pairs[("CONFIRMED", "COMMITTED")]
        on_hand, reserved, logged = await stock_figures(shop, product_id)
        assert (on_hand, reserved, logged) == (ORDERS - confirmed, 0, ORDERS - confirmed)
        # Every charge was captured; exactly the cancelled orders' money went back.
        assert len(gateway.captured) == ORDERS
        assert gateway.refunded == cancelled
        print(f"\n{backend}: {confirmed} confirmed, {ORDERS - confirmed} expired")
