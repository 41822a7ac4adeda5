"""The channel settings, the router, the webhook adapter's answers, and the client's lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from notification_support import a_customer, a_product, notifications_of, place_order

from adapters.memory.notifier import RecordingNotifier
from adapters.notifications.router import ChannelRouter
from adapters.notifications.smtp import SmtpNotifier
from adapters.notifications.webhook import WebhookNotifier
from adapters.system import ManualClock
from commerce_core.notifications import handlers as notification_handlers
from commerce_core.notifications.commands import RetryFailedNotifications
from commerce_core.notifications.model import SEND_LEASE, Notification, NotificationStatus
from commerce_core.notifications.ports import DeliveryFailed, DeliveryRejected, OutgoingMessage
from commerce_core.ordering.model import OrderStatus
from entrypoints.container import Container, build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.notification_profile import parse_smtp_url
from entrypoints.settings import Settings, SettingsError

MESSAGE = OutgoingMessage("order_confirmed:sms:m1", "sms", "+447700900123", "S", "B")


def test_a_full_smtp_url_is_understood() -> None:
    smtp = parse_smtp_url(
        "smtp://mailer%40shop:p%3Ass@mail.example.com:587?starttls=1&from=Shop@Example.com"
        "&timeout=3"
    )

    assert (smtp.host, smtp.port, smtp.starttls, smtp.use_tls) == ("mail.example.com", 587,
                                                                   True, False)
    assert (smtp.username, smtp.password) == ("mailer@shop", "p:ss")
    assert (smtp.sender, smtp.timeout_s) == ("shop@example.com", 3.0)
    assert "p:ss" not in repr(smtp)
    assert "p:ss" not in repr(SmtpNotifier(**smtp.notifier_kwargs()))


def test_smtp_defaults_and_smtps() -> None:
    plain = parse_smtp_url("smtp://localhost?from=shop@example.com")
    tls = parse_smtp_url("smtps://localhost?from=shop@example.com")

    assert (plain.port, plain.starttls, plain.username, plain.password) == (25, False, None, None)
    assert (tls.port, tls.use_tls) == (465, True)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost?from=shop@example.com",
        "smtp://?from=shop@example.com",
        "smtp://localhost",
        "smtp://localhost?from=nobody",
        "smtp://localhost?from=shop@example.com&startls=1",
        "smtp://localhost?from=shop@example.com&starttls=maybe",
        "smtps://localhost?from=shop@example.com&starttls=1",
        "smtp://localhost:notaport?from=shop@example.com",
        "smtp://localhost?from=shop@example.com&timeout=-1",
    ],
)
def test_a_bad_smtp_url_stops_start_up(url: str) -> None:
    with pytest.raises(SettingsError):
        build_container(Settings(smtp_url=url))


def test_a_bad_webhook_url_stops_start_up() -> None:
    with pytest.raises(SettingsError, match="COMMERCE_PUSH_WEBHOOK_URL"):
        build_container(Settings(push_webhook_url="ftp://push.example.com"))


def test_settings_read_the_channel_variables_and_hide_their_secrets() -> None:
    settings = Settings.from_env({
        "COMMERCE_SMTP_URL": "smtp://u:secret@mail?from=shop@example.com",
        "COMMERCE_SMS_WEBHOOK_URL": "https://k:key@sms.example.com/send",
        "COMMERCE_PUSH_WEBHOOK_URL": " ",
    })

    assert settings.smtp_url == "smtp://u:secret@mail?from=shop@example.com"
    assert settings.sms_webhook_url == "https://k:key@sms.example.com/send"
    assert settings.push_webhook_url is None
    assert "secret" not in repr(settings)
    assert "key@" not in repr(settings)


def test_without_channel_urls_the_embedded_recorder_stays() -> None:
    assert isinstance(build_container(Settings()).notifier(), RecordingNotifier)


def test_each_configured_channel_is_routed_to_its_adapter() -> None:
    container = build_container(Settings(
        smtp_url="smtp://mail.example.com?from=shop@example.com",
        sms_webhook_url="https://sms.example.com/send",
    ))

    router = container.notifier()

    assert isinstance(router, ChannelRouter)
    assert isinstance(router.routes["email"], SmtpNotifier)
    assert isinstance(router.routes["sms"], WebhookNotifier)
    assert "push" not in router.routes
    assert isinstance(router.fallback, RecordingNotifier)


async def test_the_shared_http_client_is_closed_on_shutdown() -> None:
    container = build_container(Settings(
        sms_webhook_url="https://sms.example.com/send",
        push_webhook_url="https://push.example.com/send",
    ))
    async with open_shop(container=container):
        router = container.notifier()
        client = container.notification_http_client()
        assert router.routes["sms"]._client is router.routes["push"]._client is client
        assert not client.is_closed

    assert client.is_closed


# -- the webhook's answers ---------------------------------------------------------------------


def webhook_answering(status: int | Exception) -> WebhookNotifier:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return WebhookNotifier("https://sms.example.com/send", client=client)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_any_2xx_is_a_delivery(status: int) -> None:
    await webhook_answering(status).send(MESSAGE)


@pytest.mark.parametrize("status", [401, 404, 408, 429, 500, 503])
async def test_other_answers_are_failures_worth_retrying(status: int) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await webhook_answering(status).send(MESSAGE)
    assert not isinstance(failed.value, DeliveryRejected)


@pytest.mark.parametrize("status", [400, 410, 413, 422])
async def test_a_refusal_of_the_message_itself_is_final(status: int) -> None:
    with pytest.raises(DeliveryRejected):
        await webhook_answering(status).send(MESSAGE)


async def test_an_unreachable_provider_is_a_failure() -> None:
    with pytest.raises(DeliveryFailed):
        await webhook_answering(httpx.ConnectError("refused")).send(MESSAGE)


# -- a channel nobody serves -------------------------------------------------------------------


@pytest.fixture
async def email_only_shop(container: Container) -> AsyncIterator[Shop]:
    container.notifier.override(ChannelRouter({"email": RecordingNotifier()}))
    async with open_shop(container=container) as shop:
        yield shop


async def test_a_channel_without_an_adapter_is_given_up_at_once(
    email_only_shop: Shop, clock: ManualClock
) -> None:
    shop = email_only_shop
    async with shop.container.uow() as uow:
        uow.notifications.add(Notification.pending(
            notification_id="t:sms:1", user_id="u", channel="sms", template="t",
            recipient="+447700900123", subject="S", body="B", now=clock.now() - SEND_LEASE,
        ))
        await uow.commit()

    assert await shop.handle(RetryFailedNotifications()) == 1

    stored = shop.container.memory_store().notifications["t:sms:1"]
    assert (stored.status, stored.attempts, stored.gave_up) == (NotificationStatus.FAILED, 1, True)
    assert "no notifier for channel 'sms'" in (stored.last_error or "")
    assert await shop.handle(RetryFailedNotifications()) == 0


# -- a channel that hangs ----------------------------------------------------------------------


class HangingNotifier:
    async def send(self, message: OutgoingMessage) -> None:
        await asyncio.Event().wait()


async def test_a_hanging_channel_is_cut_off_and_the_order_confirms(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notification_handlers, "ATTEMPT_TIMEOUT_S", 0.05)
    container.notifier.override(HangingNotifier())
    async with open_shop(container=container) as shop:
        ana = await a_customer(shop)
        order = await place_order(shop, ana, await a_product(shop))

        assert order.status is OrderStatus.CONFIRMED
        [record] = notifications_of(shop, "order_confirmed")
        assert (record.status, record.attempts) == (NotificationStatus.FAILED, 1)
        assert "TimeoutError" in (record.last_error or "")
