"""In-memory suppliers and supplier receipts (receipts keyed by supplier and reference)."""

from __future__ import annotations

from adapters.memory.repositories import _Repository
from commerce_core.inventory.suppliers import Supplier, SupplierReceipt


class MemorySupplierRepository(_Repository[Supplier]):
    table = "suppliers"

    def _key(self, aggregate: Supplier) -> str:
        return aggregate.id

    async def get_by_key_hash(self, api_key_hash: str) -> Supplier | None:
        found = next((s for s in self._rows.values() if s.api_key_hash == api_key_hash), None)
        return None if found is None else self._load(found.id)


def receipt_key(supplier_id: str, reference: str) -> str:
    return f"{supplier_id}\n{reference}"  # ids never hold a newline


class MemorySupplierReceiptRepository(_Repository[SupplierReceipt]):
    table = "supplier_receipts"

    def _key(self, aggregate: SupplierReceipt) -> str:
        return receipt_key(aggregate.supplier_id, aggregate.reference)

    async def for_reference(self, supplier_id: str, reference: str) -> SupplierReceipt | None:
        return self._load(receipt_key(supplier_id, reference))
