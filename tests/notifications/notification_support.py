"""For the channel tests: real servers on loopback (an SMTP server with aiosmtpd, a webhook
provider with Starlette under uvicorn, both on the test's event loop) and a few shop builders."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.catalog.model import Product
from commerce_core.identity.commands import RegisterUser
from commerce_core.identity.model import User
from commerce_core.notifications.model import Notification
from commerce_core.ordering.commands import Checkout, GetOrder
from commerce_core.ordering.model import Order
from entrypoints.embedded import Shop

_counter = itertools.count(1)


class Mailbox:
    """What the SMTP server received: one parsed message per delivery."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[bytes | None] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.logins.append(session.auth_data.login if session.authenticated else None)
        return "250 Message accepted"

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            assert isinstance(envelope.content, bytes)
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


@contextlib.asynccontextmanager
async def smtp_server(**options: Any) -> AsyncIterator[tuple[Mailbox, int]]:
    """``options`` go to aiosmtpd's SMTP (e.g. an authenticator)."""
    mailbox = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(mailbox, hostname="mail.test", **options), host="127.0.0.1", port=0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield mailbox, port
    finally:
        server.close()
        await server.wait_closed()


class WebhookProvider:
    """Answers 503 to the first ``failures`` requests (every one when None), then 202."""

    def __init__(self, *, failures: int | None) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.accepted: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def receive(self, request: Request) -> JSONResponse:
        received = (dict(request.headers), await request.json())
        self.requests.append(received)
        if self.failures is None or len(self.requests) <= self.failures:
            return JSONResponse({"error": "try later"}, status_code=503)
        self.accepted.append(received)
        return JSONResponse({"status": "queued"}, status_code=202)


@contextlib.asynccontextmanager
async def webhook_server(provider: WebhookProvider) -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/send", provider.receive, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started)
        yield f"http://127.0.0.1:{port}/send"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def eventually(condition: Callable[[], object], *, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


# -- the shop ----------------------------------------------------------------------------------


async def a_customer(shop: Shop, *, name: str = "Ana", email: str | None = None) -> User:
    email = email or f"notified{next(_counter)}@example.com"
    user: User = await shop.handle(RegisterUser(email, "correct horse battery", name))
    return user


async def a_product(shop: Shop, *, price: str = "10.00", stock: int = 10) -> Product:
    product: Product = await shop.handle(CreateProduct(
        sku=f"NOTE-{next(_counter)}", name="Widget", description="A useful thing",
        category="tools", price=Decimal(price), currency="EUR", stock=stock,
    ))
    return product


async def place_order(shop: Shop, user: User, product: Product, quantity: int = 1) -> Order:
    await shop.handle(AddToCart(user.id, product.id, quantity))
    placed: Order = await shop.handle(Checkout(user_id=user.id, payment_token="tok_visa"))
    order: Order = await shop.handle(GetOrder(order_id=placed.id, requested_by=user.id))
    return order


def notifications_of(shop: Shop, template: str) -> list[Notification]:
    """The stored records (the embedded shop keeps them in its memory store)."""
    store = shop.container.memory_store()
    return sorted(
        (n for n in store.notifications.values() if n.template == template),
        key=lambda n: n.channel,
    )
