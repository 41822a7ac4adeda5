from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from commerce_core.inventory.model import Movement, Reservation, Stock


class StockRepository(Protocol):
    def add(self, stock: Stock) -> None: ...

    async def get(self, product_id: str) -> Stock | None: ...

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Stock]: ...

    async def movements(self, product_id: str, *, limit: int = 1000) -> list[Movement]:
        """Oldest first."""
        ...

    async def below_threshold(self) -> list[Stock]: ...


class ReservationRepository(Protocol):
    def add(self, reservation: Reservation) -> None: ...

    async def get(self, order_id: str) -> Reservation | None: ...

    async def expired(self, now: datetime, *, limit: int) -> list[Reservation]:
        """Active reservations whose ``expires_at`` has passed, oldest first."""
        ...
