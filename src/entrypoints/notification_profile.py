"""Notification channels from settings: what ``build_container`` adds when a channel URL is set.

    COMMERCE_SMTP_URL          smtp://user:pass@host:587?starttls=1&from=shop@example.com
                               (smtps:// for TLS from the first byte; user and pass optional;
                               ``from`` required; ``timeout`` in seconds optional)
    COMMERCE_SMS_WEBHOOK_URL   https://sms.example.com/send   (user:key@ in the URL: Basic auth)
    COMMERCE_PUSH_WEBHOOK_URL  https://push.example.com/send

Each set URL routes its channel to the real adapter; a channel without a URL keeps the embedded
recorder. The webhooks share one HTTP client, a Resource closed by ``shutdown_resources``; the
notifier itself stays a plain Singleton, so the bus never turns async.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from attrs import field, frozen
from dependency_injector import providers

from adapters.memory.notifier import RecordingNotifier
from adapters.notifications.router import ChannelRouter
from commerce_core.identity.model import Email
from commerce_core.notifications.model import Channel
from commerce_core.shared.errors import InvalidEmail
from entrypoints.settings import Settings, SettingsError

SMTP_VARIABLE = "COMMERCE_SMTP_URL"
WEBHOOK_VARIABLES = {
    Channel.SMS: "COMMERCE_SMS_WEBHOOK_URL",
    Channel.PUSH: "COMMERCE_PUSH_WEBHOOK_URL",
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
DEFAULT_TIMEOUT_S = 10.0


@frozen
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    use_tls: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S

    def notifier_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host, "port": self.port, "sender": self.sender,
            "username": self.username, "password": self.password, "starttls": self.starttls,
            "use_tls": self.use_tls, "timeout_s": self.timeout_s,
        }


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp[s]://[user[:pass]@]host[:port]?from=ADDR[&starttls=1][&timeout=S]``."""
    name = SMTP_VARIABLE
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise SettingsError(f"{name} must start with smtp:// or smtps://")
    if not parts.hostname:
        raise SettingsError(f"{name} names no host")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise SettingsError(f"{name} has an invalid port") from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"from", "starttls", "timeout"}
    if unknown:
        raise SettingsError(f"{name}: unknown option(s) {', '.join(sorted(unknown))}")
    if any(len(values) > 1 for values in query.values()):
        raise SettingsError(f"{name}: an option is given twice")
    options = {key: values[0] for key, values in query.items()}
    try:
        sender = Email(options.get("from", "")).value
    except InvalidEmail:
        raise SettingsError(f"{name} needs ?from=<the shop's address>") from None
    starttls = _flag(options.get("starttls", ""), f"{name} starttls")
    if starttls and parts.scheme == "smtps":
        raise SettingsError(f"{name}: smtps:// is TLS already; starttls=1 goes with smtp://")
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        sender=sender,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        starttls=starttls,
        use_tls=parts.scheme == "smtps",
        timeout_s=_seconds(options.get("timeout"), f"{name} timeout"),
    )


def check_webhook_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{name} must be an http:// or https:// URL with a host")
    return url


def use_notification_channels(container: Any, settings: Settings) -> None:
    """Routes each configured channel to its real adapter; leaves the container as it is when
    no channel URL is set. URLs are checked here, so a bad one stops start-up."""
    webhooks = {
        channel: check_webhook_url(url, WEBHOOK_VARIABLES[channel])
        for channel, url in ((Channel.SMS, settings.sms_webhook_url),
                             (Channel.PUSH, settings.push_webhook_url))
        if url
    }
    if not settings.smtp_url and not webhooks:
        return
    # Imported only now: aiosmtplib and httpx come with the ``notifications`` extra.
    try:
        from adapters.notifications.smtp import SmtpNotifier
        from adapters.notifications.webhook import (
            WebhookNotifier,
            closing_http_client,
            create_http_client,
        )
    except ImportError as missing:
        raise SettingsError(
            f"notification channels need {missing.name}: pip install 'commerce-core[notifications]'"
        ) from None
    routes: dict[str, providers.Provider[Any]] = {}
    if settings.smtp_url:
        smtp = parse_smtp_url(settings.smtp_url)
        routes[Channel.EMAIL] = providers.Singleton(SmtpNotifier, **smtp.notifier_kwargs())
    if webhooks:
        client = providers.Singleton(create_http_client, timeout_s=DEFAULT_TIMEOUT_S)
        container.notification_http_client = client
        container.notification_http = providers.Resource(closing_http_client, client)
        for channel, url in webhooks.items():
            routes[channel] = providers.Singleton(WebhookNotifier, url, client=client)
    container.notifier.override(
        providers.Singleton(
            ChannelRouter, routes=providers.Dict(routes), fallback=RecordingNotifier()
        )
    )


def _flag(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0, not {raw!r}")


def _seconds(raw: str | None, name: str) -> float:
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 300:
        raise SettingsError(f"{name} must be between 0 and 300 seconds")
    return value
