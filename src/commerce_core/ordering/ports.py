from __future__ import annotations

from typing import Protocol

from commerce_core.ordering.model import Order
from commerce_core.ordering.returns import ReturnRequest, ReturnStatus


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...

    async def get(self, order_id: str) -> Order | None:
        """The order with its lines, in one or two round trips."""
        ...

    async def list_for_user(
        self, user_id: str, *, offset: int, limit: int
    ) -> tuple[list[Order], int]:
        """Newest first, and the total count."""
        ...


class ReturnRepository(Protocol):
    def add(self, return_request: ReturnRequest) -> None: ...

    async def get(self, return_id: str) -> ReturnRequest | None: ...

    async def for_order(self, order_id: str) -> list[ReturnRequest]:
        """Every return of the order, oldest first."""
        ...

    async def with_status(
        self, status: ReturnStatus | None, *, offset: int, limit: int
    ) -> tuple[list[ReturnRequest], int]:
        """Returns in this status (every return for None), oldest request first (the order an
        admin works through them), and the total count."""
        ...
