"""Each customer's channels: chosen, validated, honoured; and what the retry worker picks up."""

from __future__ import annotations

import pytest
from notification_support import a_customer, a_product, notifications_of, place_order

from adapters.memory.notifier import RecordingNotifier
from adapters.system import ManualClock
from commerce_core.notifications.commands import (
    GetNotificationPreferences,
    RetryFailedNotifications,
    SetNotificationPreferences,
)
from commerce_core.notifications.model import SEND_LEASE, Channel, Notification, NotificationStatus
from commerce_core.notifications.preferences import NotificationPreferences, recipients
from commerce_core.shared.errors import InvalidInput, UserNotFound
from entrypoints.embedded import Shop


def recorder(shop: Shop) -> RecordingNotifier:
    notifier: RecordingNotifier = shop.container.notifier()
    return notifier


async def test_a_customer_who_chose_sms_and_email_gets_both(shop: Shop) -> None:
    ana = await a_customer(shop, name="Ana", email="ana.both@example.com")
    chosen = await shop.handle(SetNotificationPreferences(
        user_id=ana.id, channels=("sms", "email"), phone="+44 7700 900123"))
    assert chosen.channels == {Channel.EMAIL, Channel.SMS}

    order = await place_order(shop, ana, await a_product(shop, price="3.00"), 2)

    sent = [m for m in recorder(shop).sent if order.id in m.subject]
    assert [(m.channel, m.recipient) for m in sent] == [
        ("email", "ana.both@example.com"), ("sms", "+447700900123")]
    email, sms = sent
    assert "Hello Ana" in email.body
    assert sms.body == f"Order {order.id} confirmed: 6.00 EUR received."
    records = notifications_of(shop, "order_confirmed")
    assert [(n.channel, n.status, n.attempts) for n in records] == [
        ("email", NotificationStatus.SENT, 1), ("sms", NotificationStatus.SENT, 1)]
    assert len({n.id for n in records}) == 2


async def test_without_a_choice_a_customer_gets_email_only(shop: Shop) -> None:
    ana = await a_customer(shop)

    preferences = await shop.handle(GetNotificationPreferences(ana.id))

    assert preferences == NotificationPreferences(ana.id, frozenset({Channel.EMAIL}))
    assert [m.channel for m in recorder(shop).to(ana.email)] == ["email"]


def test_recipients_without_a_stored_choice_are_those_of_the_default_preferences() -> None:
    default = NotificationPreferences.default("u-1")
    assert recipients(None, "ana@example.com") == recipients(default, "ana@example.com")
    assert recipients(None, "ana@example.com") == [(Channel.EMAIL, "ana@example.com")]


def test_recipients_of_a_choice_are_its_channels_in_order_with_their_addresses() -> None:
    chosen = NotificationPreferences.choose(
        "u-1", ["push", "sms", "email"], phone="+447700900123", push_token="device-1"
    )
    assert recipients(chosen, "ana@example.com") == [
        (Channel.EMAIL, "ana@example.com"), (Channel.SMS, "+447700900123"),
        (Channel.PUSH, "device-1"),
    ]


@pytest.mark.parametrize(
    ("channels", "extra", "field"),
    [
        (("email", "fax"), {}, "channels"),
        (("pigeon",), {}, "channels"),
        ((), {}, "channels"),
        (("sms",), {}, "phone"),
        (("sms",), {"phone": "07700 900123"}, "phone"),
        (("push",), {}, "push_token"),
        (("push",), {"push_token": "has spaces"}, "push_token"),
    ],
)
async def test_invalid_choices_are_refused(
    shop: Shop, channels: tuple[str, ...], extra: dict[str, str], field: str
) -> None:
    ana = await a_customer(shop)

    with pytest.raises(InvalidInput) as refused:
        await shop.handle(SetNotificationPreferences(user_id=ana.id, channels=channels, **extra))

    assert refused.value.field == field
    assert await shop.handle(GetNotificationPreferences(ana.id)) == (
        NotificationPreferences.default(ana.id))


async def test_channel_names_are_read_leniently_and_push_gets_the_short_text(shop: Shop) -> None:
    ana = await a_customer(shop)
    await shop.handle(SetNotificationPreferences(
        user_id=ana.id, channels=(" PUSH ",), push_token="device-token-1"))

    order = await place_order(shop, ana, await a_product(shop))

    [push] = [m for m in recorder(shop).sent if order.id in m.subject]
    assert (push.channel, push.recipient) == ("push", "device-token-1")
    assert len(push.body) <= 160


async def test_preferences_of_an_unknown_user_are_refused(shop: Shop) -> None:
    with pytest.raises(UserNotFound):
        await shop.handle(SetNotificationPreferences(user_id="ghost", channels=("email",)))


async def test_a_notification_left_pending_by_a_crash_is_sent_after_its_lease(
    shop: Shop, clock: ManualClock
) -> None:
    ana = await a_customer(shop)
    async with shop.container.uow() as uow:
        uow.notifications.add(Notification.pending(
            notification_id="order_confirmed:email:crashed", user_id=ana.id, channel="email",
            template="order_confirmed", recipient=ana.email, subject="S", body="B",
            now=clock.now(),
        ))
        await uow.commit()

    assert await shop.handle(RetryFailedNotifications()) == 0  # its sender may still be at it
    clock.advance(SEND_LEASE)
    assert await shop.handle(RetryFailedNotifications()) == 1
    assert await shop.handle(RetryFailedNotifications()) == 0

    stored = shop.container.memory_store().notifications["order_confirmed:email:crashed"]
    assert (stored.status, stored.attempts) == (NotificationStatus.SENT, 1)
    assert [m.notification_id for m in recorder(shop).to(ana.email)][-1] == stored.id

