"""Every integration event of CONTRACT.md, by name (the wire format is tagged with it)."""

from __future__ import annotations

from commerce_core.cart.events import CartStarted
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.identity.events import UserRegistered
from commerce_core.inventory.events import (
    InventoryReleased,
    InventoryReservationFailed,
    InventoryReserved,
    LowStockDetected,
    StockAdjusted,
    StockUpdated,
)
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderShipped,
    ReturnReceived,
)
from commerce_core.payments.events import PaymentFailed, PaymentProcessed, PaymentRefunded
from commerce_core.shared.events import Event

ALL_EVENTS: tuple[type[Event], ...] = (
    UserRegistered,
    ProductCreated,
    ProductUpdated,
    OrderCreated,
    InventoryReserved,
    InventoryReservationFailed,
    PaymentProcessed,
    PaymentFailed,
    PaymentRefunded,
    OrderConfirmed,
    InventoryReleased,
    OrderCancelled,
    OrderShipped,
    OrderDelivered,
    StockUpdated,
    LowStockDetected,
    CartStarted,
    StockAdjusted,
    ReturnReceived,
)
EVENTS_BY_NAME: dict[str, type[Event]] = {e.event_name(): e for e in ALL_EVENTS}
