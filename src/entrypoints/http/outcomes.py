"""Order outcomes, pushed: the checkout waits on a future that the bus's observer resolves when
OrderConfirmed or OrderCancelled of that order is delivered. No polling. (In distributed mode the
same ``resolve`` is fed from the broker instead of the in-process bus.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from commerce_core.ordering.events import OrderCancelled, OrderConfirmed
from commerce_core.shared.events import Event
from commerce_core.shared.messagebus import MessageBus

Outcome = OrderConfirmed | OrderCancelled


class OrderOutcomes:
    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Future[Outcome]]] = {}

    def attach(self, bus: MessageBus) -> Callable[[], None]:
        """Listens to the bus; returns the call that stops listening."""
        return bus.observe(self.observe)

    def observe(self, event: Event) -> None:
        if isinstance(event, OrderConfirmed | OrderCancelled):
            self.resolve(event)

    def resolve(self, outcome: Outcome) -> None:
        for future in self._waiting.pop(outcome.order_id, ()):
            if not future.done():
                future.set_result(outcome)

    def expect(self, order_id: str) -> asyncio.Future[Outcome]:
        """A future for the order's first outcome; register it before the saga starts."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(order_id, set()).add(future)
        return future

    def forget(self, order_id: str, future: asyncio.Future[Outcome]) -> None:
        waiting = self._waiting.get(order_id)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self._waiting[order_id]
        future.cancel()

    @property
    def pending(self) -> int:
        return sum(len(f) for f in self._waiting.values())
