"""E-mail over real SMTP: the saga's OrderConfirmed reaches a server the test runs on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from notification_support import (
    Mailbox,
    a_customer,
    a_product,
    notifications_of,
    place_order,
    smtp_server,
)

from adapters.notifications.smtp import SmtpNotifier, build_email, message_id_for
from commerce_core.notifications.model import NotificationStatus
from commerce_core.notifications.ports import DeliveryFailed, OutgoingMessage
from commerce_core.ordering.model import OrderStatus
from entrypoints.container import build_container
from entrypoints.embedded import Shop
from entrypoints.settings import Settings


@pytest.fixture
async def mail() -> AsyncIterator[tuple[Mailbox, int]]:
    async with smtp_server() as server:
        yield server


@pytest.fixture
def settings(mail: tuple[Mailbox, int]) -> Settings:
    _, port = mail
    return Settings(
        payment_timeout_s=0.05,
        smtp_url=f"smtp://127.0.0.1:{port}?from=shop@example.com&timeout=5",
    )


async def test_an_order_confirmation_arrives_by_smtp(
    shop: Shop, mail: tuple[Mailbox, int]
) -> None:
    mailbox, _ = mail
    ana = await a_customer(shop, name="Ana", email="ana@example.com")
    widget = await a_product(shop, price="12.50", stock=5)

    order = await place_order(shop, ana, widget, 2)

    assert order.status is OrderStatus.CONFIRMED
    [confirmation] = [m for m in mailbox.messages if "confirmed" in m["Subject"]]
    assert confirmation["Subject"] == f"Order {order.id} confirmed"
    assert confirmation["To"] == "ana@example.com"
    assert confirmation["From"] == "shop@example.com"
    body = confirmation.get_content()
    assert "Hello Ana" in body
    assert f"25.00 EUR and your order {order.id} is confirmed" in body
    [envelope] = [e for e in mailbox.envelopes if order.id.encode() in e.content]
    assert envelope.rcpt_tos == ["ana@example.com"]
    assert envelope.mail_from == "shop@example.com"

    [record] = notifications_of(shop, "order_confirmed")
    assert (record.status, record.attempts, record.channel) == (NotificationStatus.SENT, 1, "email")
    assert confirmation["Message-ID"] == message_id_for(record.id, "example.com")
    # The welcome went the same way.
    assert mailbox.messages[0]["Subject"] == "Welcome!"


def test_the_message_id_is_a_function_of_the_notification_id() -> None:
    message = OutgoingMessage("order_confirmed:email:abc123", "email", "a@example.com", "S", "B")

    first = build_email(message, sender="shop@example.com")
    again = build_email(message, sender="shop@example.com")

    assert first["Message-ID"] == again["Message-ID"] == (
        "<order_confirmed=3Aemail=3Aabc123@example.com>"
    )
    assert message_id_for("a:b", "x.org") != message_id_for("a=3Ab", "x.org")


async def test_an_unreachable_server_is_a_delivery_failure() -> None:
    async with smtp_server() as (_, port):
        pass  # closed again: nothing listens on the port now
    notifier = SmtpNotifier(host="127.0.0.1", port=port, sender="shop@example.com", timeout_s=2)

    with pytest.raises(DeliveryFailed):
        await notifier.send(OutgoingMessage("n1", "email", "a@example.com", "S", "B"))


def _accept_mailer(server: object, session: object, envelope: object, mechanism: str,
                   data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"s:cret")
    return AuthResult(success=ok, auth_data=data)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_credentials_in_the_url_log_in() -> None:
    options = {"authenticator": _accept_mailer, "auth_required": True, "auth_require_tls": False}
    async with smtp_server(**options) as (mailbox, port):
        container = build_container(Settings(
            smtp_url=f"smtp://mailer:s%3Acret@127.0.0.1:{port}?from=shop@example.com"))

        await container.notifier().send(OutgoingMessage("n1", "email", "a@example.com", "S", "B"))

    assert mailbox.logins == [b"mailer"]
    assert mailbox.messages[0]["To"] == "a@example.com"


async def test_a_non_ascii_body_arrives_intact(mail: tuple[Mailbox, int]) -> None:
    mailbox, port = mail
    notifier = SmtpNotifier(host="127.0.0.1", port=port, sender="shop@example.com")

    await notifier.send(OutgoingMessage("n2", "email", "a@example.com", "Bestätigt", "Grüße, Zoë"))

    [received] = mailbox.messages
    assert received["Subject"] == "Bestätigt"
    assert received.get_content().strip() == "Grüße, Zoë"
