from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Event


@frozen
class ReservedItem:
    product_id: str
    quantity: int


@frozen(kw_only=True)
class InventoryReserved(Event):
    order_id: str
    items: tuple[ReservedItem, ...]
    expires_at: str  # ISO 8601, so the event stays plain data on the wire


@frozen(kw_only=True)
class InventoryReservationFailed(Event):
    order_id: str
    reason: str
    product_id: str | None = None


@frozen(kw_only=True)
class InventoryReleased(Event):
    order_id: str
    reason: str
    items: tuple[ReservedItem, ...]


@frozen(kw_only=True)
class StockUpdated(Event):
    product_id: str
    on_hand: int
    reserved: int
    available: int
    stock_version: int


@frozen(kw_only=True)
class LowStockDetected(Event):
    product_id: str
    available: int
    threshold: int


@frozen(kw_only=True)
class StockAdjusted(Event):
    """Stock changed outside an order: ``reason`` is the movement log's (admin, supplier, return,
    damage), so reports can tell units received from units returned or written off."""

    product_id: str
    delta: int
    reason: str
    reference: str | None = None
