from __future__ import annotations

from typing import Protocol

from attrs import frozen

from commerce_core.notifications.model import Notification


@frozen
class OutgoingMessage:
    notification_id: str  # providers that deduplicate use it as their key
    channel: str
    recipient: str
    subject: str
    body: str


class Notifier(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Delivers or raises; the caller records the outcome."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None: ...

    async def get(self, notification_id: str) -> Notification | None: ...

    async def for_user(self, user_id: str) -> list[Notification]: ...
