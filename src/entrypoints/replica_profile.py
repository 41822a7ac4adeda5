"""Read replicas (COMMERCE_DATABASE_REPLICA_URLS): what ``use_sql`` adds when replicas are set.

The router is a Resource (its polling loop starts with the app and stops with it); the unit of
work, PostgreSQL search, the SQL reports and the handlers' cache learn about it here, and the
HTTP edge finds ``read_router`` and ``sticky_writes`` on the container. Search and the reports
send only their queries through the router; their writes (indexing, reporting's ingest) go to
the primary. With ClickHouse (configured after this) the reports come from there instead.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from dependency_injector import providers

from adapters.sqlalchemy.consistency import FreshOnlyCache, MemoryStickyWrites
from adapters.sqlalchemy.replicas import ReadRouter
from adapters.sqlalchemy.reporting import SqlReportingStore
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from entrypoints import db
from entrypoints.settings import Settings, SettingsError

log = logging.getLogger(__name__)


async def _router_lifetime(router: ReadRouter) -> AsyncIterator[ReadRouter]:
    await router.start()
    try:
        yield router
    finally:
        await router.close()


def sticky_window_s(settings: Settings) -> float:
    """How long a writer's reads need a replica past their write without a token: past the
    longest lag a serving replica may have, every serving replica has replayed it anyway."""
    return settings.replica_max_lag_s + 1.0


def use_read_replicas(container: Any, settings: Settings) -> None:
    if not settings.replica_urls:
        return
    backend = settings.database_url.split(":", 1)[0].split("+", 1)[0].lower()
    if backend not in {"postgresql", "postgres"}:
        # Reading the primary is always correct, so this is no reason to refuse to start.
        log.error(
            "COMMERCE_DATABASE_REPLICA_URLS is ignored: read replicas need a PostgreSQL "
            "COMMERCE_DATABASE_URL, and this one is %s; every read goes to it",
            backend,
        )
        return
    for url in settings.replica_urls:
        if not url.split(":", 1)[0].lower().startswith("postgres"):
            raise SettingsError(
                f"COMMERCE_DATABASE_REPLICA_URLS: {url.split('://', 1)[0]}:// is not PostgreSQL"
            )
    database = container.database
    container.sticky_writes = providers.Singleton(
        MemoryStickyWrites, window_s=sticky_window_s(settings)
    )
    router = providers.Singleton(
        ReadRouter,
        database,
        settings.replica_urls,
        sticky=container.sticky_writes,
        max_lag_s=settings.replica_max_lag_s,
        pool_size=db.pool_size(),  # COMMERCE_DATABASE_POOL_SIZE: per server, replicas too
    )
    container.read_router = router
    container.read_router_lifetime = providers.Resource(_router_lifetime, router)
    container.uow.override(providers.Factory(SqlUnitOfWork, database=database, router=router))
    container.bus.add_kwargs(cache=providers.Singleton(FreshOnlyCache, container.cache))
    container.reporting_store.override(
        providers.Singleton(SqlReportingStore, database=database, reader=router.provided.run_read)
    )
    if backend.startswith("postgres"):
        from adapters.search.postgres_fts import PostgresFtsSearchIndex

        container.search.override(
            providers.Singleton(
                lambda d, r: PostgresFtsSearchIndex(d.engine, reader=r.run_read), database, router
            )
        )
