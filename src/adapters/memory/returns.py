"""In-memory return requests."""

from __future__ import annotations

from adapters.memory.repositories import _Repository, private_copy
from commerce_core.ordering.returns import ReturnRequest, ReturnStatus


class MemoryReturnRepository(_Repository[ReturnRequest]):
    table = "returns"

    def _key(self, aggregate: ReturnRequest) -> str:
        return aggregate.id

    async def for_order(self, order_id: str) -> list[ReturnRequest]:
        found = [r for r in self._rows.values() if r.order_id == order_id]
        return [private_copy(r) for r in sorted(found, key=lambda r: (r.requested_at, r.id))]

    async def with_status(
        self, status: ReturnStatus | None, *, offset: int, limit: int
    ) -> tuple[list[ReturnRequest], int]:
        found = [r for r in self._rows.values() if status is None or r.status is status]
        found.sort(key=lambda r: (r.requested_at, r.id))
        return [private_copy(r) for r in found[offset : offset + limit]], len(found)
