"""Tell the customer on every channel they chose; record each attempt; retry with backoff.

Sending happens outside any transaction: a slow or broken channel holds no lock, and a failure is
recorded, never raised, so it cannot undo or block a saga.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from commerce_core.identity.events import UserRegistered
from commerce_core.notifications.commands import (
    CountNotifications,
    GetNotificationPreferences,
    RetryFailedNotifications,
    SetNotificationPreferences,
)
from commerce_core.notifications.model import SEND_LEASE, Notification
from commerce_core.notifications.ports import (
    DeliveryRejected,
    NotificationPreferencesRepository,
    Notifier,
    OutgoingMessage,
)
from commerce_core.notifications.preferences import NotificationPreferences, recipients
from commerce_core.notifications.templates import render
from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.shared.deadline import within
from commerce_core.shared.errors import ConcurrencyConflict, InvalidInput, UserNotFound
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
MAX_PARALLEL_SENDS = 10
MAX_RETRY_BATCH = 1000
# Bounds an attempt whatever the adapter does, and stays under the lease that holds it.
ATTEMPT_TIMEOUT_S = SEND_LEASE.total_seconds() * 0.75


def notification_id(template: str, channel: str, message_id: str) -> str:
    return f"{template}:{channel}:{message_id}"


async def notify_customer(
    event: UserRegistered | OrderConfirmed | OrderCancelled,
    uow: UnitOfWork,
    notifier: Notifier,
    clock: Clock,
    notification_preferences: NotificationPreferencesRepository,
) -> None:
    """Records one notification per chosen channel, then sends them."""
    preferences = await notification_preferences.get(event.user_id)
    async with uow:
        user = await uow.users.get(event.user_id)
        if user is None:
            return
        rendered = render(event, user.name)
        now = clock.now()
        messages: list[OutgoingMessage] = []
        for channel, address in recipients(preferences, user.email):
            key = notification_id(rendered.template, channel, event.message_id)
            if await uow.notifications.get(key) is not None:
                continue  # recorded by an earlier delivery: the retry worker owns it now
            notification = Notification.pending(
                notification_id=key,
                user_id=user.id,
                channel=channel,
                template=rendered.template,
                recipient=address,
                subject=rendered.subject,
                body=rendered.text_for(channel),
                now=now,
            )
            uow.notifications.add(notification)
            messages.append(_message(notification))
        await uow.commit()
    await _send_and_record(messages, uow=uow, notifier=notifier, clock=clock)


async def retry_failed_notifications(
    command: RetryFailedNotifications, uow: UnitOfWork, notifier: Notifier, clock: Clock
) -> int:
    """Claims the notifications whose next attempt is due, sends them, records the outcomes.
    Returns how many were attempted. The claim (one commit) keeps two workers from both sending."""
    if not 1 <= command.limit <= MAX_RETRY_BATCH:
        raise InvalidInput(f"limit must be 1 to {MAX_RETRY_BATCH}", field="limit")
    now = clock.now()
    async with uow:
        due = await uow.notifications.due_for_retry(now, limit=command.limit)
        # Sends go out in waves of MAX_PARALLEL_SENDS: the last wave's claim must outlast them.
        lease = SEND_LEASE * (1 + len(due) // MAX_PARALLEL_SENDS)
        messages: list[OutgoingMessage] = []
        for candidate in due:
            notification = await uow.notifications.get(candidate.id)
            if notification is None or not notification.is_due(now):
                continue
            notification.claim(now, lease)
            messages.append(_message(notification))
        if not messages:
            return 0
        await uow.commit()  # a concurrent claim fails here; the bus retries with fresh state
    await _send_and_record(messages, uow=uow, notifier=notifier, clock=clock)
    return len(messages)


async def set_notification_preferences(
    command: SetNotificationPreferences,
    uow: UnitOfWork,
    notification_preferences: NotificationPreferencesRepository,
) -> NotificationPreferences:
    preferences = NotificationPreferences.choose(
        command.user_id, command.channels, phone=command.phone, push_token=command.push_token
    )
    async with uow:
        if await uow.users.get(command.user_id) is None:
            raise UserNotFound(f"no user {command.user_id}")
    await notification_preferences.save(preferences)
    return preferences


async def get_notification_preferences(
    query: GetNotificationPreferences,
    notification_preferences: NotificationPreferencesRepository,
) -> NotificationPreferences:
    stored = await notification_preferences.get(query.user_id)
    return stored or NotificationPreferences.default(query.user_id)


# -- sending -----------------------------------------------------------------------------------


def _message(notification: Notification) -> OutgoingMessage:
    return OutgoingMessage(
        notification.id, notification.channel, notification.recipient,
        notification.subject, notification.body,
    )


async def _send_and_record(
    messages: Sequence[OutgoingMessage], *, uow: UnitOfWork, notifier: Notifier, clock: Clock
) -> None:
    if len(messages) == 1:
        # One channel, the usual case: the same attempt, awaited here rather than in a task of
        # its own (a task per notice cost three turns of the event loop per saga).
        outcomes = [await _attempt(messages[0], notifier)]
    else:
        limit = asyncio.Semaphore(MAX_PARALLEL_SENDS)

        async def bounded(message: OutgoingMessage) -> tuple[str, Exception | None]:
            async with limit:
                return await _attempt(message, notifier)

        outcomes = await asyncio.gather(*(bounded(m) for m in messages))
    for key, error in outcomes:
        await _record(key, error, uow=uow, clock=clock)


async def _attempt(message: OutgoingMessage, notifier: Notifier) -> tuple[str, Exception | None]:
    try:
        await within(ATTEMPT_TIMEOUT_S, notifier.send(message))
    except Exception as error:  # any channel failure is recorded, never propagated
        log.warning("notification %s failed: %s", message.notification_id, error)
        return message.notification_id, error
    return message.notification_id, None


async def _record(key: str, error: Exception | None, *, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        notification = await uow.notifications.get(key)
        if notification is None or notification.is_final:
            return
        if error is None:
            notification.sent()
        else:
            notification.failed(
                f"{type(error).__name__}: {error}",
                now=clock.now(),
                permanent=isinstance(error, DeliveryRejected),
            )
        try:
            await uow.commit()
        except ConcurrencyConflict:
            # Only a sender whose lease ran out loses this race; the winner's record stands.
            log.warning("notification %s: outcome of a late attempt not recorded", key)


async def count_notifications(query: CountNotifications, uow: UnitOfWork) -> dict[str, int]:
    async with uow:
        return await uow.notifications.count_by_status()


COMMAND_HANDLERS = {
    CountNotifications: count_notifications,
    SetNotificationPreferences: set_notification_preferences,
    GetNotificationPreferences: get_notification_preferences,
    RetryFailedNotifications: retry_failed_notifications,
}

EVENT_HANDLERS = {
    UserRegistered: [notify_customer],
    OrderConfirmed: [notify_customer],
    OrderCancelled: [notify_customer],
}
