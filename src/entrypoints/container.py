"""The only place that knows which adapter serves which port.

``build_container(settings)`` returns a fresh container; nothing is built at import time. Tests
override providers (``container.gateway.override(...)``) before the first use.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dependency_injector import containers, providers

from adapters.memory.cache import MemoryCache
from adapters.memory.carts import MemoryCartRepository
from adapters.memory.idempotency import MemoryIdempotencyStore
from adapters.memory.inbox import MemoryProcessedMessages
from adapters.memory.notification_preferences import MemoryNotificationPreferencesRepository
from adapters.memory.notifier import RecordingNotifier
from adapters.memory.outbox import MemoryOutbox
from adapters.memory.reporting import MemoryEventJournal, MemoryReportingStore
from adapters.memory.sessions import MemoryRateLimiter, MemoryRefreshTokenStore
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.payments.sandbox import SandboxGateway
from adapters.search.memory import MemorySearchIndex
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.tokens import JwtTokenIssuer
from adapters.system import SystemClock, Uuid7Generator
from commerce_core.handlers import command_handlers, event_handlers
from commerce_core.identity.auth import LoginThrottle
from commerce_core.reporting.consumer import ReportingConsumer
from commerce_core.reporting.ports import EventJournal
from commerce_core.shared.messagebus import MessageBus, Outbox
from commerce_core.shared.unit_of_work import UnitOfWork
from entrypoints.notification_profile import use_notification_channels
from entrypoints.reporting_profile import use_buffered_reporting
from entrypoints.settings import Settings, SettingsError

SECRET_FILE_SUFFIX = ".jwt-secret"
# In memory a batch costs no transaction; the bound only caps what one dispatch buffers.
MEMORY_REPORTING_BATCH = 1000


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite+aiosqlite:///./shop.db``), None for anything else."""
    scheme, _, rest = database_url.partition("://")
    if not scheme.startswith("sqlite") or not rest.startswith("/"):
        return None
    path = rest[1:].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def jwt_secret_for(settings: Settings) -> str:
    """COMMERCE_JWT_SECRET, else a secret generated once and kept beside the SQLite file (so
    tokens survive a restart), else one per process (memory mode)."""
    if settings.jwt_secret:
        return settings.jwt_secret
    database = sqlite_file(settings.database_url)
    if database is None:
        return secrets.token_urlsafe(48)
    secret_file = database.with_name(database.name + SECRET_FILE_SUFFIX)
    if not secret_file.exists():
        # Written aside and linked into place, so two processes starting at once agree on one.
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        draft = secret_file.with_name(f"{secret_file.name}.{os.getpid()}.tmp")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, secret_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink(missing_ok=True)
    secret = secret_file.read_text().strip()
    if len(secret) < 32:
        raise SettingsError(f"{secret_file} holds no usable JWT secret")
    return secret


def resolved_once(factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
    """The bus makes a unit of work for every handler call, a dozen per saga. A
    dependency-injector Factory resolves its injections again on each call, which cost as much as
    building the unit of work itself. When every injection is the same object each time (a
    singleton or a plain object), they are resolved once here and the class is called directly;
    otherwise the factory is used as it is. Like the bus's other dependencies, this is fixed
    when the bus is built: override providers before its first use."""
    factory = _in_force(factory)
    if not isinstance(factory, providers.Factory) or factory.provides is None:
        return factory
    injections = [*factory.args, *factory.kwargs.values()]
    if not all(_same_each_time(injection) for injection in injections):
        return factory
    args = [_value(a) for a in factory.args]
    kwargs = {name: _value(k) for name, k in factory.kwargs.items()}
    return functools.partial(factory.provides, *args, **kwargs)


def _in_force(injection: Any) -> Any:
    """The provider that answers for ``injection``: the last override, if any."""
    while isinstance(injection, providers.Provider) and injection.last_overriding is not None:
        injection = injection.last_overriding
    return injection


def _same_each_time(injection: object) -> bool:
    injection = _in_force(injection)
    return not isinstance(injection, providers.Provider) or isinstance(
        injection, providers.Singleton | providers.Object
    )


def _value(injection: object) -> object:
    return injection() if isinstance(injection, providers.Provider) else injection


def build_bus(
    *,
    uow_factory: Callable[[], UnitOfWork],
    outbox: Outbox,
    dispatch_inline: bool,
    **dependencies: Any,
) -> MessageBus:
    return MessageBus(
        uow_factory=resolved_once(uow_factory),
        command_handlers=command_handlers(),
        event_handlers=event_handlers(),
        dependencies=dependencies,
        outbox=outbox,
        dispatch_inline=dispatch_inline,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(Uuid7Generator)

    # Storage: the in-memory profile; build_container swaps in SQL when a database URL says so.
    memory_store = providers.Singleton(MemoryStore)
    uow = providers.Factory(MemoryUnitOfWork, store=memory_store)
    outbox = providers.Singleton(MemoryOutbox, store=memory_store)
    processed_messages = providers.Singleton(MemoryProcessedMessages, store=memory_store)
    carts = providers.Singleton(MemoryCartRepository)
    idempotency = providers.Singleton(
        MemoryIdempotencyStore, lease=settings.provided.idempotency_lease
    )
    refresh_tokens = providers.Singleton(MemoryRefreshTokenStore)
    rate_limiter = providers.Singleton(MemoryRateLimiter)
    login_throttle = providers.Singleton(LoginThrottle)
    search = providers.Singleton(MemorySearchIndex)
    cache = providers.Singleton(MemoryCache)

    hasher = providers.Singleton(Argon2PasswordHasher)
    jwt_secret = providers.Singleton(jwt_secret_for, settings)
    tokens = providers.Singleton(JwtTokenIssuer, secret=jwt_secret, clock=clock)
    gateway = providers.Singleton(SandboxGateway)
    notifier = providers.Singleton(RecordingNotifier)
    notification_preferences = providers.Singleton(MemoryNotificationPreferencesRepository)
    # Reporting: read models (ReportingStore) and the whole event history (EventJournal).
    reporting_store = providers.Singleton(MemoryReportingStore)
    event_journal = providers.Singleton(MemoryEventJournal)
    reporting_consumer = providers.Singleton(
        ReportingConsumer, journal=event_journal, store=reporting_store
    )

    reservation_ttl = providers.Callable(lambda s: s.reservation_ttl, settings)
    payment_timeout = providers.Callable(lambda s: s.payment_timeout, settings)

    bus = providers.Singleton(
        build_bus,
        uow_factory=uow.provider,
        outbox=outbox,
        dispatch_inline=True,
        clock=clock,
        ids=ids,
        hasher=hasher,
        tokens=tokens,
        refresh_tokens=refresh_tokens,
        rate_limiter=rate_limiter,
        login_throttle=login_throttle,
        carts=carts,
        search=search,
        cache=cache,
        gateway=gateway,
        notifier=notifier,
        notification_preferences=notification_preferences,
        reporting_consumer=reporting_consumer,
        processed_messages=processed_messages,
        reservation_ttl=reservation_ttl,
        payment_timeout=payment_timeout,
    )


def build_container(settings: Settings | None = None) -> Container:
    settings = settings or Settings.from_env()
    container = Container(settings=settings)
    if not settings.is_memory:
        _use_sql(container, settings)
    elif not settings.clickhouse_url:  # else the warehouse's own feed consumes
        # Reporting buffered and stored once per dispatch, as with a database, instead of
        # taking the consumer's lock, the journal and the store once per event.
        use_buffered_reporting(
            container, settings, batch_size=MEMORY_REPORTING_BATCH,
            consumer_type=_consumer_read_through,
        )
    use_notification_channels(container, settings)
    if settings.elasticsearch_url:  # else the database's own full-text search
        from adapters.elasticsearch.search import elasticsearch_search_for

        container.search.override(
            providers.Singleton(elasticsearch_search_for, settings.elasticsearch_url)
        )
    if settings.clickhouse_url:  # else the reports come from the database's read models
        from entrypoints.clickhouse_profile import use_clickhouse

        use_clickhouse(container, settings)
    if settings.redis_url or settings.amqp_url:
        from entrypoints import distributed_profile  # imports redis and aio-pika only when asked

        if settings.redis_url:
            distributed_profile.use_redis(container, settings)
        if settings.amqp_url:
            distributed_profile.use_rabbitmq(container, settings)
    return container


def _consumer_read_through(
    *, journal: EventJournal, store: MemoryReportingStore, batch_size: int, flush_delay_s: float
) -> ReportingConsumer:
    """The embedded mode's buffering consumer: the memory store's reports first have it store
    what it holds, so a report right after a saga sees all of it."""
    consumer = ReportingConsumer(
        journal, store, batch_size=batch_size, flush_delay_s=flush_delay_s
    )
    store.read_after(consumer.flush_quietly)
    return consumer


def _use_sql(container: Container, settings: Settings) -> None:
    try:
        from entrypoints.sql_profile import use_sql  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise SettingsError(
            f"COMMERCE_DATABASE_URL={settings.database_url!r}: the SQL adapters are not "
            "available in this build; use memory://"
        ) from None
    use_sql(container, settings)
