"""Each customer's choice of channels, and the addresses those channels need."""

from __future__ import annotations

import re
from collections.abc import Iterable

from attrs import frozen

from commerce_core.notifications.model import Channel
from commerce_core.shared.errors import InvalidInput

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")
MAX_PUSH_TOKEN_LENGTH = 4096
CHANNEL_ORDER = tuple(Channel)
_CHANNEL_NAMES = frozenset(c.value for c in Channel)


def parse_channels(names: Iterable[str]) -> frozenset[Channel]:
    if isinstance(names, str):
        names = [names]
    chosen: set[Channel] = set()
    for name in names:
        normalised = name.strip().lower() if isinstance(name, str) else ""
        if normalised not in _CHANNEL_NAMES:
            known = ", ".join(CHANNEL_ORDER)
            raise InvalidInput(f"unknown channel {name!r}: choose from {known}", field="channels")
        chosen.add(Channel(normalised))
    if not chosen:
        raise InvalidInput("choose at least one channel", field="channels")
    return frozenset(chosen)


def normalise_phone(phone: str | None) -> str | None:
    if phone is None:
        return None
    cleaned = _PHONE_PUNCTUATION.sub("", phone) if isinstance(phone, str) else ""
    if not _PHONE.match(cleaned):
        raise InvalidInput(
            "phone must be an international number such as +441234567890", field="phone"
        )
    return cleaned


def check_push_token(token: str | None) -> str | None:
    if token is None:
        return None
    if (
        not isinstance(token, str)
        or not 1 <= len(token) <= MAX_PUSH_TOKEN_LENGTH
        or not token.isprintable()
        or any(c.isspace() for c in token)
    ):
        raise InvalidInput(
            f"push token must be 1 to {MAX_PUSH_TOKEN_LENGTH} printable characters without spaces",
            field="push_token",
        )
    return token


@frozen
class NotificationPreferences:
    """Which channels a customer wants. Without a stored choice a customer gets e-mail only."""

    user_id: str
    channels: frozenset[Channel] = frozenset({Channel.EMAIL})
    phone: str | None = None
    push_token: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.channels or not all(isinstance(c, Channel) for c in self.channels):
            raise InvalidInput("choose at least one known channel", field="channels")
        if Channel.SMS in self.channels and self.phone is None:
            raise InvalidInput("text messages need a phone number", field="phone")
        if Channel.PUSH in self.channels and self.push_token is None:
            raise InvalidInput("push notifications need a device token", field="push_token")

    @classmethod
    def default(cls, user_id: str) -> NotificationPreferences:
        return cls(user_id)

    @classmethod
    def choose(
        cls,
        user_id: str,
        channels: Iterable[str],
        *,
        phone: str | None = None,
        push_token: str | None = None,
    ) -> NotificationPreferences:
        """Validates what a customer sent: names, then the addresses the chosen channels need."""
        return cls(
            user_id, parse_channels(channels), normalise_phone(phone), check_push_token(push_token)
        )

    @property
    def ordered_channels(self) -> tuple[Channel, ...]:
        return tuple(c for c in CHANNEL_ORDER if c in self.channels)

    def address(self, channel: Channel, email: str) -> str:
        if channel is Channel.EMAIL:
            return email
        address = self.phone if channel is Channel.SMS else self.push_token
        assert address is not None  # the constructor refused a channel without its address
        return address


def recipients(
    preferences: NotificationPreferences | None, email: str
) -> list[tuple[Channel, str]]:
    """Each channel a notice goes to, with its address there. A customer who chose nothing
    gets what ``NotificationPreferences.default`` gives, e-mail alone, without one being built
    and checked for every notice."""
    if preferences is None:
        return [(Channel.EMAIL, email)]
    return [(c, preferences.address(c, email)) for c in preferences.ordered_channels]
