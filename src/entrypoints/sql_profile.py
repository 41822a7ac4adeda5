"""The SQL profile: what ``build_container`` switches to when COMMERCE_DATABASE_URL is a database.

The engine is a Resource (opened by ``init_resources``: schema check or auto-upgrade; disposed by
``shutdown_resources``). The ``Database`` it opens is a plain Singleton, so the unit-of-work
factory and the stores depend on it synchronously and never turn async themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.search import search_provider_for
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.idempotency import SqlIdempotencyStore
from adapters.sqlalchemy.inbox import SqlProcessedMessages
from adapters.sqlalchemy.notification_preferences import SqlNotificationPreferencesRepository
from adapters.sqlalchemy.outbox import SqlOutbox
from adapters.sqlalchemy.reporting import SqlEventJournal, SqlReportingStore
from adapters.sqlalchemy.sessions import SqlRefreshTokenStore
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from entrypoints import db
from entrypoints.replica_profile import use_read_replicas
from entrypoints.reporting_profile import use_buffered_reporting
from entrypoints.settings import Settings


async def open_engine(database: Database) -> AsyncIterator[AsyncEngine]:
    await db.check(database)
    try:
        yield database.engine
    finally:
        await database.dispose()


def use_sql(container: Any, settings: Settings) -> None:
    pool_size = getattr(settings, "database_pool_size", None) or db.pool_size()
    database = providers.Singleton(Database, settings.database_url, pool_size=pool_size)
    container.database = database
    container.engine = providers.Resource(open_engine, database=database)
    container.uow.override(providers.Factory(
        SqlUnitOfWork, database=database, clock=container.clock
    ))
    container.outbox.override(providers.Singleton(SqlOutbox, database=database))
    container.processed_messages.override(
        providers.Singleton(SqlProcessedMessages, database=database)
    )
    container.idempotency.override(providers.Singleton(
        SqlIdempotencyStore, database=database, lease=settings.idempotency_lease
    ))
    container.refresh_tokens.override(providers.Singleton(SqlRefreshTokenStore, database=database))
    container.reporting_store.override(providers.Singleton(SqlReportingStore, database=database))
    container.event_journal.override(providers.Singleton(SqlEventJournal, database=database))
    container.notification_preferences.override(providers.Singleton(
        SqlNotificationPreferencesRepository, database=database, clock=container.clock
    ))
    use_buffered_reporting(container, settings)
    container.search.override(providers.Singleton(
        lambda d: search_provider_for(settings.database_url, d.engine), database
    ))
    use_read_replicas(container, settings)
