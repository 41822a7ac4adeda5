"""The only place that knows which adapter serves which port.

``build_container(settings)`` returns a fresh container; nothing is built at import time. Tests
override providers (``container.gateway.override(...)``) before the first use.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from dependency_injector import containers, providers

from adapters.memory.carts import MemoryCartRepository
from adapters.memory.idempotency import MemoryIdempotencyStore
from adapters.memory.notifier import RecordingNotifier
from adapters.memory.outbox import MemoryOutbox
from adapters.memory.sessions import MemoryRateLimiter, MemoryRefreshTokenStore
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.payments.sandbox import SandboxGateway
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.tokens import JwtTokenIssuer
from adapters.system import SystemClock, Uuid7Generator
from commerce_core.handlers import command_handlers, event_handlers
from commerce_core.shared.messagebus import MessageBus, Outbox
from commerce_core.shared.unit_of_work import UnitOfWork
from entrypoints.settings import Settings, SettingsError


def build_bus(
    *,
    uow_factory: Callable[[], UnitOfWork],
    outbox: Outbox,
    dispatch_inline: bool,
    **dependencies: Any,
) -> MessageBus:
    return MessageBus(
        uow_factory=uow_factory,
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
    carts = providers.Singleton(MemoryCartRepository)
    idempotency = providers.Singleton(MemoryIdempotencyStore)
    refresh_tokens = providers.Singleton(MemoryRefreshTokenStore)
    rate_limiter = providers.Singleton(MemoryRateLimiter)

    hasher = providers.Singleton(Argon2PasswordHasher)
    jwt_secret = providers.Callable(lambda s: s.jwt_secret or secrets.token_urlsafe(48), settings)
    tokens = providers.Singleton(JwtTokenIssuer, secret=jwt_secret, clock=clock)
    gateway = providers.Singleton(SandboxGateway)
    notifier = providers.Singleton(RecordingNotifier)

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
        carts=carts,
        gateway=gateway,
        notifier=notifier,
        reservation_ttl=reservation_ttl,
        payment_timeout=payment_timeout,
    )


def build_container(settings: Settings | None = None) -> Container:
    settings = settings or Settings.from_env()
    container = Container(settings=settings)
    if not settings.is_memory:
        _use_sql(container, settings)
    return container


def _use_sql(container: Container, settings: Settings) -> None:
    try:
        from entrypoints.sql_profile import use_sql  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise SettingsError(
            f"COMMERCE_DATABASE_URL={settings.database_url!r}: the SQL adapters are not "
            "available in this build; use memory://"
        ) from None
    use_sql(container, settings)
