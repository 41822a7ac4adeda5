"""The outbox relay: claim a batch of rows, publish it with confirms, delete what was confirmed.

Several relays may run (one per worker): a claim locks its rows (FOR UPDATE SKIP LOCKED on
PostgreSQL), so each row is published by one relay, and it is marked delivered in the claim's own
transaction only after its confirm. A broker that is away means exponential backoff, never loss:
the rows stay until a confirm comes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from adapters.rabbitmq.publisher import OutgoingMessage

log = logging.getLogger(__name__)


class Claim(Protocol):
    @property
    def messages(self) -> Sequence[OutgoingMessage]: ...

    async def mark_delivered(self, message_ids: list[str]) -> None:
        """Takes effect when the claim ends without an error."""
        ...


class ClaimingOutbox(Protocol):
    def claim(self, limit: int) -> AbstractAsyncContextManager[Claim]:
        """The oldest undelivered rows that no other relay holds, locked until the exit."""
        ...


class Publisher(Protocol):
    async def publish_batch(self, messages: Sequence[OutgoingMessage]) -> list[str]: ...


class OutboxRelay:
    def __init__(
        self,
        outbox: ClaimingOutbox,
        publisher: Publisher,
        *,
        batch_size: int = 200,
        idle_interval_s: float = 0.02,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self.batch_size = batch_size
        self._idle_interval_s = idle_interval_s
        self._max_backoff_s = max_backoff_s
        self.published = 0

    async def relay_once(self) -> tuple[int, int]:
        """One batch; returns (confirmed, not confirmed)."""
        started = time.monotonic()
        async with self._outbox.claim(self.batch_size) as claim:
            if not claim.messages:
                return 0, 0
            confirmed = await self._publisher.publish_batch(claim.messages)
            if confirmed:
                await claim.mark_delivered(confirmed)
        held = time.monotonic() - started
        if held > 5:
            log.warning("outbox relay: a claim of %d rows held for %.1f s (%d confirmed)",
                        len(claim.messages), held, len(confirmed))
        self.published += len(confirmed)
        return len(confirmed), len(claim.messages) - len(confirmed)

    async def run(self) -> None:
        backoff = self._idle_interval_s
        while True:
            try:
                confirmed, failed = await self.relay_once()
            except Exception as error:
                log.warning("outbox relay: %s; retrying in %.2f s", error, backoff)
                confirmed, failed = 0, 1
            if failed:
                log.info("outbox relay: %d not confirmed; next try in %.2f s", failed, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2 or 0.05, self._max_backoff_s)
                continue
            backoff = max(self._idle_interval_s, 0.05)
            if confirmed < self.batch_size:
                await asyncio.sleep(self._idle_interval_s)
