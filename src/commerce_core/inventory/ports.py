from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from commerce_core.inventory.model import Movement, Reservation, Stock
from commerce_core.inventory.suppliers import Supplier, SupplierReceipt


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


class SupplierRepository(Protocol):
    def add(self, supplier: Supplier) -> None: ...

    async def get(self, supplier_id: str) -> Supplier | None: ...

    async def get_by_key_hash(self, api_key_hash: str) -> Supplier | None: ...


class SupplierReceiptRepository(Protocol):
    def add(self, receipt: SupplierReceipt) -> None:
        """A second receipt with the same (supplier_id, reference) fails the commit with
        ConcurrencyConflict, so the message bus retries and the retry finds the first one."""
        ...

    async def for_reference(self, supplier_id: str, reference: str) -> SupplierReceipt | None: ...
