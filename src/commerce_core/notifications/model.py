from __future__ import annotations

import enum
from datetime import datetime, timedelta

from attrs import define, field, frozen

from commerce_core.shared.aggregate import Aggregate


class NotificationStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # final only when ``gave_up``; otherwise it waits for its next attempt


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


@frozen
class RetryPolicy:
    """When a failed notification is tried again: 30 s, 2 min, 8 min, 32 min after each failure,
    and never again after ``max_attempts``."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    factor: int = 4

    def delay_after(self, attempts: int) -> timedelta:
        return self.first_delay * int(self.factor ** max(0, attempts - 1))


RETRY_POLICY = RetryPolicy()
# How long an attempt in flight holds its notification. Longer than any channel's time-out, so two
# senders never overlap; a sender that crashed mid-attempt leaves the notification due after it.
SEND_LEASE = timedelta(minutes=1)


@define(slots=False, eq=False)
class Notification(Aggregate):
    """One message for one event on one channel; its id is derived from the event and the channel,
    so a redelivery finds it and a provider can use it to deduplicate."""

    id: str
    user_id: str
    channel: str
    template: str
    recipient: str
    subject: str
    body: str
    status: NotificationStatus
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None  # unset on rows older than retries: due at once
    gave_up: bool = False
    version: int = field(default=0, kw_only=True)

    @classmethod
    def pending(
        cls,
        *,
        notification_id: str,
        user_id: str,
        channel: str,
        template: str,
        recipient: str,
        subject: str,
        body: str,
        now: datetime,
    ) -> Notification:
        """A new notification, held for the first attempt its creator is about to make."""
        return cls(
            notification_id, user_id, channel, template, recipient, subject, body,
            NotificationStatus.PENDING, now, next_attempt_at=now + SEND_LEASE,
        )

    @property
    def is_final(self) -> bool:
        return self.status is NotificationStatus.SENT or self.gave_up

    def is_due(self, now: datetime) -> bool:
        if self.is_final:
            return False
        return (self.next_attempt_at or self.created_at) <= now

    def claim(self, now: datetime, lease: timedelta = SEND_LEASE) -> None:
        """An attempt starts: no other sender takes this notification before the lease ends."""
        self.next_attempt_at = now + lease

    def sent(self) -> None:
        self.attempts += 1
        self.status = NotificationStatus.SENT
        self.last_error = None
        self.next_attempt_at = None

    def failed(
        self,
        error: str,
        *,
        now: datetime,
        permanent: bool = False,
        policy: RetryPolicy = RETRY_POLICY,
    ) -> None:
        """Records a failed attempt; schedules the next one, or gives up for good."""
        self.attempts += 1
        self.status = NotificationStatus.FAILED
        self.last_error = error[:500]
        if permanent or self.attempts >= policy.max_attempts:
            self.gave_up = True
            self.next_attempt_at = None
        else:
            self.next_attempt_at = now + policy.delay_after(self.attempts)
