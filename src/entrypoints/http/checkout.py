"""The hybrid checkout: place the order, then wait up to a budget for the saga's outcome.

The saga runs in its own task, so when the budget runs out the request answers 202 while the saga
carries on (a gateway that never answers is compensated later by the sweeper). The order id is
fixed up front, so the outcome can be awaited before the order even exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from commerce_core.ordering.commands import Checkout, GetOrder
from commerce_core.ordering.model import Order
from commerce_core.shared.messagebus import MessageBus
from commerce_core.shared.ports import IdGenerator
from entrypoints.http.outcomes import OrderOutcomes

log = logging.getLogger(__name__)


class HybridCheckout:
    def __init__(
        self, bus: MessageBus, outcomes: OrderOutcomes, ids: IdGenerator, *, wait_s: float
    ) -> None:
        self._bus, self._outcomes, self._ids, self._wait_s = bus, outcomes, ids, wait_s
        self._sagas: set[asyncio.Task[Any]] = set()

    async def place(self, user_id: str, payment_token: str) -> Order:
        """The order as it stands when the saga finished or the budget ran out. Errors raised
        before the order exists (empty cart, bad token) propagate."""
        order_id = self._ids.new_id()
        outcome = self._outcomes.expect(order_id)
        saga = asyncio.create_task(
            self._bus.handle(Checkout(user_id=user_id, payment_token=payment_token,
                                      order_id=order_id))
        )
        self._sagas.add(saga)
        saga.add_done_callback(self._finished)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        try:
            await asyncio.wait({saga, outcome}, timeout=self._wait_s,
                               return_when=asyncio.FIRST_COMPLETED)
            if saga.done() and saga.exception() is not None and not outcome.done():
                raise saga.exception()  # type: ignore[misc]
            if not outcome.done():
                await asyncio.wait({outcome}, timeout=max(0.0, deadline - loop.time()))
        finally:
            self._outcomes.forget(order_id, outcome)
        order: Order = await self._bus.handle(GetOrder(order_id=order_id, requested_by=user_id))
        return order

    def _finished(self, saga: asyncio.Task[Any]) -> None:
        self._sagas.discard(saga)
        if not saga.cancelled() and saga.exception() is not None:
            # Already raised to the request if it was still waiting; otherwise only logged.
            log.debug("checkout saga ended with %r", saga.exception())

    async def drain(self, grace_s: float) -> None:
        """At shutdown: let running sagas finish briefly, then cancel them (the outbox relay
        and the sweeper complete or compensate them after a restart)."""
        if not self._sagas:
            return
        _, running = await asyncio.wait(set(self._sagas), timeout=grace_s)
        for saga in running:
            saga.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*running, return_exceptions=True)
