from __future__ import annotations

import enum
from datetime import datetime

from attrs import define, field

from commerce_core.shared.aggregate import Aggregate


class NotificationStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


@define(slots=False, eq=False)
class Notification(Aggregate):
    """One message for one event; its id is derived from the event so a redelivery finds it."""

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
    version: int = field(default=0, kw_only=True)

    def sent(self) -> None:
        self.attempts += 1
        self.status = NotificationStatus.SENT
        self.last_error = None

    def failed(self, error: str) -> None:
        self.attempts += 1
        self.status = NotificationStatus.FAILED
        self.last_error = error[:500]
