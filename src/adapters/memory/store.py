"""The tables of the in-memory mode. A unit of work reads copies and writes back at commit."""

from __future__ import annotations

from collections import defaultdict

from attrs import define, field

from commerce_core.catalog.model import Product
from commerce_core.identity.model import User
from commerce_core.inventory.model import Movement, Reservation, Stock
from commerce_core.inventory.suppliers import Supplier, SupplierReceipt
from commerce_core.notifications.model import Notification
from commerce_core.ordering.model import Order
from commerce_core.ordering.returns import ReturnRequest
from commerce_core.payments.model import Payment
from commerce_core.shared.events import Event


@define
class OutboxRow:
    event: Event
    written_at: float  # monotonic seconds
    delivered: bool = False


@define
class MemoryStore:
    users: dict[str, User] = field(factory=dict)
    user_ids_by_email: dict[str, str] = field(factory=dict)
    products: dict[str, Product] = field(factory=dict)
    product_ids_by_sku: dict[str, str] = field(factory=dict)
    stock: dict[str, Stock] = field(factory=dict)
    movements: defaultdict[str, list[Movement]] = field(factory=lambda: defaultdict(list))
    reservations: dict[str, Reservation] = field(factory=dict)
    orders: dict[str, Order] = field(factory=dict)
    order_ids_by_user: defaultdict[str, list[str]] = field(factory=lambda: defaultdict(list))
    payments: dict[str, Payment] = field(factory=dict)
    notifications: dict[str, Notification] = field(factory=dict)
    suppliers: dict[str, Supplier] = field(factory=dict)
    supplier_receipts: dict[str, SupplierReceipt] = field(factory=dict)
    returns: dict[str, ReturnRequest] = field(factory=dict)
    inbox: set[tuple[str, str]] = field(factory=set)
    outbox: dict[str, OutboxRow] = field(factory=dict)  # by message id, insertion ordered

    def table(self, name: str) -> dict[str, object]:
        table: dict[str, object] = getattr(self, name)
        return table
