"""E-mail over SMTP (aiosmtplib): one connection per message, STARTTLS or TLS and login optional."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from commerce_core.notifications.ports import DeliveryFailed, DeliveryRejected, OutgoingMessage

# RFC 5322 atext, minus "=" which escapes everything else: the Message-ID stays a function of the
# notification id alone, and two ids never share one.
# Long ids must not be folded onto a continuation line (readers would see a different id); 998 is
# RFC 5322's hard limit on a line. 7bit: non-ASCII bodies are encoded, so any server takes them.
_POLICY = policy.SMTP.clone(max_line_length=998, cte_type="7bit")
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/?^_`{|}~."
)


def message_id_for(notification_id: str, domain: str) -> str:
    """The same notification always carries the same Message-ID, so mail clients and archives
    see a retried message as one."""
    local = "".join(c if c in _ATEXT else f"={ord(c):02X}" for c in notification_id)
    return f"<{local.strip('.')}@{domain}>"


def build_email(message: OutgoingMessage, *, sender: str) -> EmailMessage:
    email = EmailMessage(policy=_POLICY)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id_for(message.notification_id, sender.rpartition("@")[2])
    email.set_content(message.body)
    return email


class SmtpNotifier:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._use_tls, self._timeout_s = starttls, use_tls, timeout_s

    def __repr__(self) -> str:  # never the password
        return f"SmtpNotifier({self.host}:{self.port}, from {self.sender})"

    async def send(self, message: OutgoingMessage) -> None:
        email = build_email(message, sender=self.sender)
        try:
            await aiosmtplib.send(
                email.as_bytes(),  # flattened with our policy, not the client's
                sender=self.sender,
                recipients=[message.recipient],
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._starttls,
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            if codes and all(code >= 500 for code in codes):
                raise DeliveryRejected(f"smtp refused {message.recipient}: {codes}") from error
            raise DeliveryFailed(f"smtp deferred {message.recipient}: {codes}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {error}") from error
