"""Suppliers and the shipments they deliver.

A supplier authenticates with an API key that is shown once when an admin creates it; only its
SHA-256 is kept (the key is random and long, so a slow hash buys nothing). A ``SupplierReceipt``
records one delivery, keyed by ``(supplier_id, reference)``: the store refuses a second receipt
with the same key, so a replayed delivery changes stock once and answers the first receipt.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from attrs import define, field, frozen

from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import InvalidInput, Unauthorized

MAX_RECEIPT_LINES = 500
MAX_LINE_QUANTITY = 1_000_000
MAX_REFERENCE_LENGTH = 200
# The receipts the shop's own staff book (``commerce inventory receive``) are keyed under this
# supplier id; a real supplier's id is a generated hex id, so the two never meet.
STAFF_SUPPLIER_ID = "staff"


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    title = "Missing or invalid API key"


class InvalidReceipt(InvalidInput):
    code = "invalid_receipt"


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "sk_" + secrets.token_urlsafe(32)


@define(slots=False, eq=False)
class Supplier(Aggregate):
    id: str
    name: str
    api_key_hash: str
    created_at: datetime
    version: int = field(default=0, kw_only=True)

    @classmethod
    def create(cls, supplier_id: str, name: str, *, now: datetime) -> tuple[Supplier, str]:
        """The supplier and its API key, which exists nowhere else once the caller has shown it."""
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput("name must have 1 to 200 characters", field="name")
        api_key = new_api_key()
        return cls(supplier_id, name, hash_api_key(api_key), now), api_key


@frozen
class ReceiptLine:
    sku: str
    product_id: str
    quantity: int


def check_receipt(reference: str, lines: list[tuple[str, int]]) -> None:
    if not 1 <= len(reference) <= MAX_REFERENCE_LENGTH:
        raise InvalidReceipt(
            f"reference must have 1 to {MAX_REFERENCE_LENGTH} characters", field="reference"
        )
    if not 1 <= len(lines) <= MAX_RECEIPT_LINES:
        raise InvalidReceipt(f"a receipt has 1 to {MAX_RECEIPT_LINES} lines", field="lines")
    for number, (_, quantity) in enumerate(lines):
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 1 <= quantity <= MAX_LINE_QUANTITY
        ):
            raise InvalidReceipt(
                f"line {number}: quantity must be 1 to {MAX_LINE_QUANTITY}",
                field=f"lines.{number}.quantity",
            )


@define(slots=False, eq=False)
class SupplierReceipt(Aggregate):
    id: str
    supplier_id: str
    reference: str
    lines: tuple[ReceiptLine, ...]
    received_at: datetime
    version: int = field(default=0, kw_only=True)

    @property
    def key(self) -> tuple[str, str]:
        return self.supplier_id, self.reference

    @property
    def booked_lines(self) -> tuple[tuple[str, int], ...]:
        """The (sku, quantity) lines as they were sent."""
        return tuple((line.sku, line.quantity) for line in self.lines)


@frozen
class DeliveryReceived:
    receipt: SupplierReceipt
    replayed: bool  # True: this reference was booked before and nothing changed now
