"""Settings from ``COMMERCE_*`` environment variables (CONTRACT.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from attrs import field, frozen

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./commerce.db"
MEMORY_URL = "memory://"


class SettingsError(ValueError):
    """A setting has a value the program cannot use; the message names it."""


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {value}")
    return value


@frozen(kw_only=True)
class Settings:
    database_url: str = MEMORY_URL
    replica_urls: tuple[str, ...] = ()
    replica_max_lag_s: int = 5  # a replica further behind serves nothing
    redis_url: str | None = None
    amqp_url: str | None = None
    elasticsearch_url: str | None = None
    clickhouse_url: str | None = None
    jwt_secret: str | None = field(default=None, repr=False)
    checkout_wait_ms: int = 2000
    # An Idempotency-Key claimed by a request that never finished is free again after this.
    idempotency_lease_s: int = 60
    reservation_ttl_s: int = 900
    payment_timeout_s: float = 30.0
    sweep_interval_s: float = 5.0
    relay_interval_s: float = 1.0
    # Notification channels: each URL set swaps the embedded recorder for a real channel.
    smtp_url: str | None = field(default=None, repr=False)  # may hold a password
    sms_webhook_url: str | None = field(default=None, repr=False)  # may hold a key
    push_webhook_url: str | None = field(default=None, repr=False)
    notification_retry_interval_s: float = 10.0
    # The inbox forgets the messages handled longer ago than this (they are not redelivered).
    inbox_retention_days: int = 7
    inbox_prune_interval_s: float = 3600.0

    @property
    def is_memory(self) -> bool:
        return self.database_url == MEMORY_URL

    def __attrs_post_init__(self) -> None:
        if self.idempotency_lease_s * 1000 <= self.checkout_wait_ms:
            raise SettingsError(
                f"COMMERCE_IDEMPOTENCY_LEASE_S ({self.idempotency_lease_s}) must outlast a "
                f"checkout: more than COMMERCE_CHECKOUT_WAIT_MS ({self.checkout_wait_ms} ms)"
            )

    @property
    def idempotency_lease(self) -> timedelta:
        return timedelta(seconds=self.idempotency_lease_s)

    @property
    def reservation_ttl(self) -> timedelta:
        return timedelta(seconds=self.reservation_ttl_s)

    @property
    def payment_timeout(self) -> timedelta:
        return timedelta(seconds=self.payment_timeout_s)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        replicas = env.get("COMMERCE_DATABASE_REPLICA_URLS", "")
        return cls(
            database_url=_optional(env.get("COMMERCE_DATABASE_URL")) or DEFAULT_DATABASE_URL,
            replica_urls=tuple(u.strip() for u in replicas.split(",") if u.strip()),
            replica_max_lag_s=_positive_int(env, "COMMERCE_DATABASE_REPLICA_MAX_LAG_S", 5),
            redis_url=_optional(env.get("COMMERCE_REDIS_URL")),
            amqp_url=_optional(env.get("COMMERCE_AMQP_URL")),
            elasticsearch_url=_optional(env.get("COMMERCE_ELASTICSEARCH_URL")),
            clickhouse_url=_optional(env.get("COMMERCE_CLICKHOUSE_URL")),
            jwt_secret=_optional(env.get("COMMERCE_JWT_SECRET")),
            checkout_wait_ms=_positive_int(env, "COMMERCE_CHECKOUT_WAIT_MS", 2000),
            idempotency_lease_s=_positive_int(env, "COMMERCE_IDEMPOTENCY_LEASE_S", 60),
            reservation_ttl_s=_positive_int(env, "COMMERCE_RESERVATION_TTL_S", 900),
            inbox_retention_days=_positive_int(env, "COMMERCE_INBOX_RETENTION_DAYS", 7),
            smtp_url=_optional(env.get("COMMERCE_SMTP_URL")),
            sms_webhook_url=_optional(env.get("COMMERCE_SMS_WEBHOOK_URL")),
            push_webhook_url=_optional(env.get("COMMERCE_PUSH_WEBHOOK_URL")),
        )
