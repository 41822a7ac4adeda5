from __future__ import annotations

import logging

from commerce_core.identity.events import UserRegistered
from commerce_core.notifications.model import Notification, NotificationStatus
from commerce_core.notifications.ports import Notifier, OutgoingMessage
from commerce_core.notifications.templates import render
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
EMAIL = "email"


async def notify_customer(
    event: UserRegistered | OrderConfirmed | OrderCancelled,
    uow: UnitOfWork,
    notifier: Notifier,
    clock: Clock,
) -> None:
    """Records, then sends. A failure is recorded and never raised: it must not undo a saga."""
    async with uow:
        user = await uow.users.get(event.user_id)
        if user is None:
            return
        rendered = render(event, user.name)
        notification_id = f"{rendered.template}:{event.message_id}"
        notification = await uow.notifications.get(notification_id)
        if notification is not None and notification.status is NotificationStatus.SENT:
            return
        if notification is None:
            notification = Notification(
                id=notification_id,
                user_id=user.id,
                channel=EMAIL,
                template=rendered.template,
                recipient=user.email,
                subject=rendered.subject,
                body=rendered.body,
                status=NotificationStatus.PENDING,
                created_at=clock.now(),
            )
            uow.notifications.add(notification)
            await uow.commit()
        message = OutgoingMessage(
            notification.id, notification.channel, notification.recipient,
            notification.subject, notification.body,
        )
    try:
        await notifier.send(message)
    except Exception as error:  # any channel failure is recorded, never propagated
        log.warning("notification %s failed: %s", notification_id, error)
        outcome_error: str | None = f"{type(error).__name__}: {error}"
    else:
        outcome_error = None
    async with uow:
        stored = await uow.notifications.get(notification_id)
        if stored is None or stored.status is NotificationStatus.SENT:
            return
        if outcome_error is None:
            stored.sent()
        else:
            stored.failed(outcome_error)
        await uow.commit()


EVENT_HANDLERS = {
    UserRegistered: [notify_customer],
    OrderConfirmed: [notify_customer],
    OrderCancelled: [notify_customer],
}
