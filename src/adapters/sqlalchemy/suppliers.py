"""SQL suppliers and supplier receipts. The unique (supplier_id, reference) makes a second
receipt for one delivery fail its commit with ConcurrencyConflict, as in memory."""

from __future__ import annotations

from adapters.sqlalchemy import rows
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repositories import _Repository
from commerce_core.inventory.suppliers import Supplier, SupplierReceipt


class SqlSupplierRepository(_Repository[Supplier]):
    table = t.suppliers
    key_column = "id"
    build = staticmethod(rows.supplier_from)

    async def get_by_key_hash(self, api_key_hash: str) -> Supplier | None:
        return await self._get_where(t.suppliers.c.api_key_hash == api_key_hash)


class SqlSupplierReceiptRepository(_Repository[SupplierReceipt]):
    table = t.supplier_receipts
    key_column = "id"
    build = staticmethod(rows.receipt_from)

    async def for_reference(self, supplier_id: str, reference: str) -> SupplierReceipt | None:
        r = t.supplier_receipts.c
        return await self._get_where((r.supplier_id == supplier_id) & (r.reference == reference))
