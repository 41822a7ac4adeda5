"""The analytics warehouse: what ``build_container`` swaps in when COMMERCE_CLICKHOUSE_URL is set.

    COMMERCE_CLICKHOUSE_URL          clickhouse://host:9000/default   (native protocol)
    COMMERCE_CLICKHOUSE_BATCH_SIZE   5000   events per bulk load into the warehouse
    COMMERCE_CLICKHOUSE_FLUSH_S      1.0    longest wait of a journalled event before its load
    COMMERCE_CLICKHOUSE_LOADER       on     off: this process journals events but never loads
                                            the warehouse (one loader per warehouse: see
                                            adapters.clickhouse.pipeline)

The reports (``reporting_store``) then come from ClickHouse; the event journal stays where the
database profile put it, and the live consumer becomes the warehouse feed: journal each event,
load in bulk. One ClickHouse connection holder per process (a few threads, each with its own
client), closed by ``shutdown_resources``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

from attrs import frozen
from dependency_injector import providers

from entrypoints.settings import Settings, SettingsError

_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@frozen(kw_only=True)
class ClickHouseSettings:
    url: str
    batch_size: int = 5000
    flush_s: float = 1.0
    loader: bool = True

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str] | None = None) -> ClickHouseSettings:
        env = os.environ if env is None else env
        try:
            from adapters.clickhouse.connection import check_url
        except ImportError:
            raise SettingsError(
                "COMMERCE_CLICKHOUSE_URL needs clickhouse-driver: "
                "pip install 'commerce-core[clickhouse]'"
            ) from None
        try:
            check_url(url)
            batch_size = int(env.get("COMMERCE_CLICKHOUSE_BATCH_SIZE", "").strip() or 5000)
            flush_s = float(env.get("COMMERCE_CLICKHOUSE_FLUSH_S", "").strip() or 1.0)
        except ValueError as error:
            raise SettingsError(str(error)) from None
        if batch_size < 1 or not 0 < flush_s <= 3600:
            raise SettingsError(
                "COMMERCE_CLICKHOUSE_BATCH_SIZE must be positive and "
                "COMMERCE_CLICKHOUSE_FLUSH_S from 0 to 3600 seconds"
            )
        loader = env.get("COMMERCE_CLICKHOUSE_LOADER", "on").strip().lower() or "on"
        if loader not in _ON | _OFF:
            raise SettingsError(f"COMMERCE_CLICKHOUSE_LOADER must be on or off, not {loader!r}")
        return cls(url=url, batch_size=batch_size, flush_s=flush_s, loader=loader in _ON)


async def _clickhouse_lifetime(clickhouse: Any, feed: Any) -> AsyncIterator[Any]:
    try:
        yield clickhouse
    finally:
        await feed.close()  # loads what was journalled since the last load
        await clickhouse.aclose()


def use_clickhouse(container: Any, settings: Settings) -> None:
    assert settings.clickhouse_url
    options = ClickHouseSettings.from_env(settings.clickhouse_url)
    from adapters.clickhouse.connection import ClickHouse
    from adapters.clickhouse.pipeline import WarehouseFeed, WarehouseLoader
    from adapters.clickhouse.reporting import ClickHouseReportingStore

    clickhouse = providers.Singleton(ClickHouse, options.url)
    store = providers.Singleton(ClickHouseReportingStore, clickhouse)
    loader = providers.Singleton(
        WarehouseLoader, container.event_journal, store, batch_size=options.batch_size
    )
    feed = providers.Singleton(
        WarehouseFeed,
        container.event_journal,
        loader if options.loader else providers.Object(None),
        batch_size=options.batch_size,
        flush_delay_s=options.flush_s,
    )
    container.clickhouse = clickhouse
    container.warehouse_loader = loader
    container.clickhouse_lifetime = providers.Resource(_clickhouse_lifetime, clickhouse, feed)
    container.reporting_store.override(store)
    container.reporting_consumer.override(feed)
