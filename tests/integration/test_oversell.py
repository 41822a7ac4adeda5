"""500 customers race for 100 units: exactly 100 orders are confirmed, ``available`` never goes
negative while it happens, and the shelf count equals the movement log afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from shops import (
    a_product,
    customers_with_carts,
    database_of,
    order_statuses,
    sql_shop,
    sql_url,
    stock_figures,
)

from adapters.sqlalchemy import tables as t
from commerce_core.inventory.events import StockUpdated
from commerce_core.ordering.commands import Checkout

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CUSTOMERS, UNITS = 500, 100


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_500_concurrent_checkouts_for_100_units_confirm_exactly_100(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sql_url(backend, tmp_path, request)
    async with sql_shop(url) as shop:
        product_id = await a_product(shop, UNITS)
        customers = await customers_with_carts(shop, product_id, CUSTOMERS)
        samples: list[int] = []
        done = asyncio.Event()

        async def sample() -> None:
            s = t.stock
            query = sa.select(s.c.on_hand - s.c.reserved).where(s.c.product_id == product_id)
            while not done.is_set():
                async with database_of(shop).transaction() as conn:
                    samples.append((await conn.execute(query)).scalar_one())
                await asyncio.sleep(0.005)

        # Every figure the store returned from its guarded UPDATE, as StockUpdated carries it:
        # one reading per stock change, however fast the run is.
        stored: list[int] = []
        shop.bus.observe(
            lambda e: stored.append(e.available) if isinstance(e, StockUpdated) else None
        )
        sampler = asyncio.create_task(sample())
        results = await asyncio.gather(
            *(shop.handle(Checkout(user_id=c, payment_token="tok_visa")) for c in customers),
            return_exceptions=True,
        )
        done.set()
        await sampler

        assert [r for r in results if isinstance(r, BaseException)] == []
        statuses = await order_statuses(shop)
        assert statuses.get("CONFIRMED") == UNITS, statuses
        assert statuses.get("CANCELLED") == CUSTOMERS - UNITS, statuses
        # Read by another connection while the race ran (how many depends on the machine's speed).
        assert len(samples) >= 2
        assert min(samples) >= 0
        # 100 reservations and 100 commits, each one stored figure, none negative.
        assert len(stored) >= 2 * UNITS
        assert min(stored) >= 0
        on_hand, reserved, logged = await stock_figures(shop, product_id)
        assert (on_hand, reserved) == (0, 0)
        assert logged == on_hand
        captured = shop.container.gateway().captured
        assert len(captured) == UNITS
