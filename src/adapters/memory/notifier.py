from __future__ import annotations

from commerce_core.notifications.ports import OutgoingMessage


class RecordingNotifier:
    """Keeps what it sent (the embedded mode's outbox for people). ``fail_times`` simulates an
    unreliable channel for tests of retry and failure paths."""

    def __init__(self, *, fail_times: int = 0) -> None:
        self.sent: list[OutgoingMessage] = []
        self._failures_left = fail_times

    async def send(self, message: OutgoingMessage) -> None:
        if self._failures_left:
            self._failures_left -= 1
            raise ConnectionError("channel unavailable")
        self.sent.append(message)

    def to(self, recipient: str) -> list[OutgoingMessage]:
        return [m for m in self.sent if m.recipient == recipient]
