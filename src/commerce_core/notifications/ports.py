from __future__ import annotations

from datetime import datetime
from typing import Protocol

from attrs import frozen

from commerce_core.notifications.model import Notification
from commerce_core.notifications.preferences import NotificationPreferences


@frozen
class OutgoingMessage:
    notification_id: str  # providers that deduplicate use it as their key
    channel: str
    recipient: str
    subject: str
    body: str


class DeliveryFailed(Exception):
    """A channel did not take the message; another attempt later may succeed."""


class DeliveryRejected(DeliveryFailed):
    """The channel refused the message for good (bad address, no such channel): no retry."""


class Notifier(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Delivers or raises; the caller records the outcome. Raising DeliveryRejected says that
        trying again is pointless; any other exception is retried with backoff."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None: ...

    async def get(self, notification_id: str) -> Notification | None: ...

    async def for_user(self, user_id: str) -> list[Notification]: ...

    async def count_by_status(self) -> dict[str, int]:
        """How many notifications are in each status (statuses with none are left out)."""
        ...

    async def due_for_retry(self, now: datetime, *, limit: int) -> list[Notification]:
        """Notifications not SENT and not given up whose next attempt time (``created_at`` when
        unset) is at or before ``now``, earliest first, at most ``limit``. Detached copies: load
        one with ``get`` to change it. SQL: an index on ``(next_attempt_at)`` filtered on
        ``status <> 'SENT' AND NOT gave_up`` keeps it cheap."""
        ...


class NotificationPreferencesRepository(Protocol):
    """Each customer's channel choice, one record per user, replaced whole; it lives apart from
    the unit of work (a choice changes nothing else).

    SQL shape: ``notification_preferences(user_id PRIMARY KEY, channels TEXT NOT NULL -- e.g.
    'email,sms', phone TEXT NULL, push_token TEXT NULL, updated_at TIMESTAMPTZ)``; ``save`` is an
    upsert on ``user_id``.
    """

    async def get(self, user_id: str) -> NotificationPreferences | None:
        """The stored choice; None when the customer never chose (the default then applies)."""
        ...

    async def save(self, preferences: NotificationPreferences) -> None:
        """Replaces the stored choice atomically."""
        ...
