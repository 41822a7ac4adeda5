"""Customers' channel choices, the same on every backend: none until chosen, replaced whole,
kept across a restart of the shop on the SQL backends."""

from __future__ import annotations

import asyncio

import pytest

from commerce_core.identity.commands import RegisterUser
from commerce_core.notifications.commands import (
    GetNotificationPreferences,
    SetNotificationPreferences,
)
from commerce_core.notifications.model import Channel
from commerce_core.notifications.preferences import NotificationPreferences
from commerce_core.shared.errors import InvalidInput, UserNotFound
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings


async def test_no_choice_is_none_and_the_query_answers_the_default(shop: Shop) -> None:
    store = shop.container.notification_preferences()
    assert await store.get("u-nobody") is None
    chosen = await shop.handle(GetNotificationPreferences("u-nobody"))
    assert chosen == NotificationPreferences.default("u-nobody")
    assert chosen.channels == frozenset({Channel.EMAIL})


async def test_a_choice_is_stored_as_it_was_made(shop: Shop) -> None:
    store = shop.container.notification_preferences()
    choice = NotificationPreferences.choose(
        "u-1", ["push", "sms", "email"], phone="+44 1234 567890", push_token="tok:ABC/123"
    )
    await store.save(choice)
    assert await store.get("u-1") == choice
    assert (await store.get("u-1")).ordered_channels == (  # type: ignore[union-attr]
        Channel.EMAIL,
        Channel.SMS,
        Channel.PUSH,
    )
    assert await store.get("u-2") is None


async def test_saving_again_replaces_the_whole_choice(shop: Shop) -> None:
    store = shop.container.notification_preferences()
    await store.save(
        NotificationPreferences.choose(
            "u-1", ["sms", "push"], phone="+441234567890", push_token="t1"
        )
    )
    await store.save(NotificationPreferences.choose("u-1", ["email"]))
    stored = await store.get("u-1")
    assert stored == NotificationPreferences("u-1", frozenset({Channel.EMAIL}), None, None)


async def test_racing_saves_leave_one_whole_choice(shop: Shop) -> None:
    store = shop.container.notification_preferences()
    choices = [
        NotificationPreferences.choose("u-1", ["sms"], phone=f"+4412345678{i:02d}")
        for i in range(8)
    ] + [NotificationPreferences.choose("u-1", ["push"], push_token=f"t{i}") for i in range(8)]
    await asyncio.gather(*(store.save(c) for c in choices))
    assert await store.get("u-1") in choices


async def test_the_command_checks_the_user_and_the_input_before_storing(shop: Shop) -> None:
    user = await shop.handle(RegisterUser("ana@example.com", "correct horse battery", "Ana"))
    with pytest.raises(UserNotFound):
        await shop.handle(SetNotificationPreferences(user_id="u-ghost", channels=("email",)))
    with pytest.raises(InvalidInput):
        await shop.handle(SetNotificationPreferences(user_id=user.id, channels=("sms",)))
    with pytest.raises(InvalidInput):
        await shop.handle(SetNotificationPreferences(user_id=user.id, channels=("fax",)))
    assert await shop.container.notification_preferences().get("u-ghost") is None
    assert await shop.container.notification_preferences().get(user.id) is None

    await shop.handle(
        SetNotificationPreferences(
            user_id=user.id, channels=("email", "sms"), phone="+33 6 12 34 56 78"
        )
    )
    chosen = await shop.handle(GetNotificationPreferences(user.id))
    assert (chosen.ordered_channels, chosen.phone) == ((Channel.EMAIL, Channel.SMS), "+33612345678")


async def test_a_choice_outlives_the_shop_on_sql(
    backend: str, shop: Shop, settings: Settings
) -> None:
    if backend == "memory":
        pytest.skip("the embedded store lives as long as its process")
    choice = NotificationPreferences.choose("u-9", ["push"], push_token="device-9")
    await shop.container.notification_preferences().save(choice)
    async with open_shop(settings) as again:
        assert await again.container.notification_preferences().get("u-9") == choice
