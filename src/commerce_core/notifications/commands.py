from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command, Query


@frozen(kw_only=True)
class SetNotificationPreferences(Command):
    user_id: str
    channels: tuple[str, ...]  # names: "email", "sms", "push"
    phone: str | None = None  # needed for "sms"
    push_token: str | None = None  # needed for "push"


@frozen
class GetNotificationPreferences(Query):
    user_id: str


@frozen
class CountNotifications(Query):
    """How many notifications are in each status (for metrics)."""


@frozen
class RetryFailedNotifications(Command):
    """The retry worker: sends again what failed (or never finished) once its backoff is over."""

    limit: int = 100
