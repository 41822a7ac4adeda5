"""Sends each message through the adapter of its channel."""

from __future__ import annotations

from collections.abc import Mapping

from commerce_core.notifications.ports import DeliveryRejected, Notifier, OutgoingMessage


class ChannelRouter:
    """``routes`` maps a channel name to its notifier; a channel without a route goes to
    ``fallback`` (the embedded recorder), or is refused when there is none."""

    def __init__(self, routes: Mapping[str, Notifier], *, fallback: Notifier | None = None) -> None:
        self.routes = dict(routes)
        self.fallback = fallback

    async def send(self, message: OutgoingMessage) -> None:
        notifier = self.routes.get(message.channel, self.fallback)
        if notifier is None:
            raise DeliveryRejected(f"no notifier for channel {message.channel!r}")
        await notifier.send(message)
