"""COMMERCE_CLICKHOUSE_URL swaps the reports to the warehouse: an embedded shop's sagas feed it
through the journal, and its figures are those of the in-memory read models replayed from the
same journal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from test_clickhouse_reporting import every_report

from adapters.clickhouse.pipeline import WarehouseFeed
from adapters.clickhouse.reporting import ClickHouseReportingStore
from adapters.memory.reporting import MemoryReportingStore
from adapters.security.passwords import Argon2PasswordHasher
from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.ordering.commands import CancelOrder, Checkout
from commerce_core.reporting.model import SalesGrouping
from commerce_core.reporting.replay import rebuild
from entrypoints.clickhouse_profile import ClickHouseSettings
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.integration


async def test_an_embedded_shop_reports_from_the_warehouse(clickhouse_url: str) -> None:
    clock = ManualClock()
    container = build_container(Settings(payment_timeout_s=0.05, clickhouse_url=clickhouse_url))
    container.clock.override(clock)
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    assert isinstance(container.reporting_consumer(), WarehouseFeed)
    warehouse = container.reporting_store()
    assert isinstance(warehouse, ClickHouseReportingStore)

    async with open_shop(container=container) as shop:
        await container.init_resources()
        ana = await shop.handle(RegisterUser("ana@example.com", "correct horse battery", "Ana"))
        widget = await shop.handle(CreateProduct(
            sku="W-1", name="Widget", description="", category="tools",
            price=Decimal("10.00"), currency="EUR", stock=20, low_stock_threshold=5,
        ))  # fmt: skip
        orders = []
        for quantity in (3, 2):
            await shop.handle(AddToCart(ana.id, widget.id, quantity))
            orders.append(await shop.handle(Checkout(user_id=ana.id, payment_token="tok_visa")))
        await shop.handle(CancelOrder(order_id=orders[1].id, requested_by=ana.id))
        await container.reporting_consumer().flush()

        today = clock.now().date()
        report = await warehouse.sales(today - timedelta(days=1), today, SalesGrouping.PRODUCT)
        assert [(r.key, r.label, r.orders, r.units, r.revenue) for r in report.rows] == [
            (widget.id, "Widget", 1, 3, Decimal("30.00"))
        ]
        replayed = MemoryReportingStore()
        await rebuild(container.event_journal(), replayed)
        assert await every_report(warehouse) == await every_report(replayed)
        await container.shutdown_resources()


@pytest.mark.parametrize(
    ("url", "env"),
    [
        ("http://127.0.0.1:8123", {}),
        ("clickhouse://127.0.0.1:9000/default", {"COMMERCE_CLICKHOUSE_BATCH_SIZE": "0"}),
        ("clickhouse://127.0.0.1:9000/default", {"COMMERCE_CLICKHOUSE_FLUSH_S": "soon"}),
        ("clickhouse://127.0.0.1:9000/default", {"COMMERCE_CLICKHOUSE_LOADER": "maybe"}),
    ],
)
def test_settings_that_cannot_work_stop_start_up(url: str, env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        ClickHouseSettings.from_env(url, env)


def test_settings_defaults() -> None:
    options = ClickHouseSettings.from_env("clickhouse://h:9000/db", {})
    assert (options.batch_size, options.flush_s, options.loader) == (5000, 1.0, True)
    assert not ClickHouseSettings.from_env(
        "clickhouse://h:9000/db", {"COMMERCE_CLICKHOUSE_LOADER": "off"}
    ).loader
