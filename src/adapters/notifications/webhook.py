"""SMS and push through a provider's HTTP webhook (httpx): POST the message as JSON.

The notification id travels as the ``Idempotency-Key`` header, so a provider that deduplicates
delivers a retried message once. Any non-2xx answer is a failure. 400, 410, 413 and 422 say the
provider refused this message itself (bad number, unknown device), so it is not retried; anything
else (401 from a key being rotated, 404 from a URL being fixed, 5xx) is retried with backoff.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from commerce_core.notifications.ports import DeliveryFailed, DeliveryRejected, OutgoingMessage

IDEMPOTENCY_HEADER = "Idempotency-Key"
_REFUSED_FOR_GOOD = frozenset({400, 410, 413, 422})


def create_http_client(*, timeout_s: float = 10.0) -> httpx.AsyncClient:
    """One per process, shared by every webhook channel (its pool is the point of sharing)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        follow_redirects=False,
    )


@contextlib.asynccontextmanager
async def closing_http_client(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """For a dependency-injector Resource: the app's shutdown closes the client's pool."""
    try:
        yield client
    finally:
        await client.aclose()


class WebhookNotifier:
    def __init__(self, url: str, *, client: httpx.AsyncClient) -> None:
        self.url = url
        self._client = client

    def __repr__(self) -> str:  # the URL may carry a key
        url = httpx.URL(self.url)
        return f"WebhookNotifier({url.scheme}://{url.host}{url.path})"

    async def send(self, message: OutgoingMessage) -> None:
        payload = {
            "notification_id": message.notification_id,
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            response = await self._client.post(
                self.url, json=payload, headers={IDEMPOTENCY_HEADER: message.notification_id}
            )
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{message.channel} webhook: {type(error).__name__}") from error
        if response.is_success:
            return
        detail = f"{message.channel} webhook answered {response.status_code}"
        if response.status_code in _REFUSED_FOR_GOOD:
            raise DeliveryRejected(detail)
        raise DeliveryFailed(detail)
