"""Rows to aggregates and back. Aggregates are built without ``__init__`` side effects and their
transient state (events, pending movements) starts empty, as if freshly loaded."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from adapters.memory.repositories import fold
from commerce_core.catalog.model import Product
from commerce_core.identity.model import Role, User
from commerce_core.inventory.events import ReservedItem
from commerce_core.inventory.model import Movement, MovementReason, Reservation, ReservationStatus
from commerce_core.inventory.model import Stock as StockAggregate
from commerce_core.inventory.suppliers import ReceiptLine, Supplier, SupplierReceipt
from commerce_core.notifications.model import Notification, NotificationStatus
from commerce_core.ordering.model import Order, OrderLine, OrderStatus
from commerce_core.payments.model import Payment, PaymentStatus
from commerce_core.shared.money import Money


def words(text: str) -> str:
    return " ".join(fold(text).split())


# -- users -------------------------------------------------------------------------------------


def user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "created_at": user.created_at,
    }


def user_from(row: Row[Any]) -> User:
    m = row._mapping
    return User(m["id"], m["email"], m["name"], m["password_hash"], Role(m["role"]),
                m["created_at"], version=m["version"])


# -- products ----------------------------------------------------------------------------------


def product_values(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "price_amount": str(product.price.amount),
        "price_currency": product.price.currency,
        "price_milli": int(product.price.amount * 1000),
        "stock_available": product.stock_available,
        "active": product.active,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "stock_version": product.stock_version,
        "name_key": words(product.name),
        "category_key": fold(product.category),
        "other_key": words(f"{product.description} {product.sku} {product.category}"),
    }


def product_from(row: Row[Any]) -> Product:
    m = row._mapping
    return Product(
        id=m["id"],
        sku=m["sku"],
        name=m["name"],
        description=m["description"],
        category=m["category"],
        price=Money(Decimal(m["price_amount"]), m["price_currency"]),
        stock_available=m["stock_available"],
        active=bool(m["active"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        stock_version=m["stock_version"],
        version=m["version"],
    )


# -- inventory ---------------------------------------------------------------------------------


def stock_from(row: Row[Any]) -> StockAggregate:
    m = row._mapping
    return StockAggregate(m["product_id"], m["on_hand"], m["reserved"], m["low_stock_threshold"],
                          version=m["version"])


def movement_values(movement: Movement) -> dict[str, Any]:
    return {
        "product_id": movement.product_id,
        "delta_on_hand": movement.delta_on_hand,
        "delta_reserved": movement.delta_reserved,
        "reason": movement.reason.value,
        "reference": movement.reference,
        "at": movement.at,
    }


def movement_from(row: Row[Any]) -> Movement:
    m = row._mapping
    return Movement(m["product_id"], m["delta_on_hand"], m["delta_reserved"],
                    MovementReason(m["reason"]), m["reference"], m["at"])


def reservation_values(reservation: Reservation) -> dict[str, Any]:
    return {
        "order_id": reservation.order_id,
        "items": [[item.product_id, item.quantity] for item in reservation.items],
        "status": reservation.status.value,
        "reserved_at": reservation.reserved_at,
        "expires_at": reservation.expires_at,
        "updated_at": reservation.updated_at,
    }


def reservation_from(row: Row[Any]) -> Reservation:
    m = row._mapping
    items = m["items"]
    if isinstance(items, str):  # asyncpg hands JSON over as text
        items = json.loads(items)
    return Reservation(
        m["order_id"],
        tuple(ReservedItem(pid, qty) for pid, qty in items),
        ReservationStatus(m["status"]),
        m["reserved_at"],
        m["expires_at"],
        m["updated_at"],
        version=m["version"],
    )


# -- ordering ----------------------------------------------------------------------------------


def order_values(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status.value,
        "currency": order.currency,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "cancel_reason": order.cancel_reason,
        "payment_method": order.payment_method,
    }


def line_values(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order.id,
            "position": position,
            "product_id": line.product_id,
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "price_amount": str(line.price.amount),
            "price_currency": line.price.currency,
        }
        for position, line in enumerate(order.lines)
    ]


def line_from(row: Row[Any]) -> OrderLine:
    m = row._mapping
    return OrderLine(m["product_id"], m["sku"], m["name"], m["quantity"],
                     Money(Decimal(m["price_amount"]), m["price_currency"]))


def order_from(row: Row[Any], lines: tuple[OrderLine, ...]) -> Order:
    m = row._mapping
    return Order(
        m["id"],
        m["user_id"],
        lines,
        OrderStatus(m["status"]),
        m["currency"],
        m["created_at"],
        m["updated_at"],
        m["cancel_reason"],
        payment_method=m["payment_method"],
        version=m["version"],
    )


# -- payments ----------------------------------------------------------------------------------


def payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": str(payment.amount.amount),
        "currency": payment.amount.currency,
        "method_token": payment.method_token,
        "status": payment.status.value,
        "updated_at": payment.updated_at,
        "reference": payment.reference,
        "failure_reason": payment.failure_reason,
    }


def payment_from(row: Row[Any]) -> Payment:
    m = row._mapping
    return Payment(
        m["order_id"],
        m["user_id"],
        Money(Decimal(m["amount"]), m["currency"]),
        m["method_token"],
        PaymentStatus(m["status"]),
        m["updated_at"],
        m["reference"],
        m["failure_reason"],
        version=m["version"],
    )


# -- notifications -----------------------------------------------------------------------------


def notification_values(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "user_id": notification.user_id,
        "channel": notification.channel,
        "template": notification.template,
        "recipient": notification.recipient,
        "subject": notification.subject,
        "body": notification.body,
        "status": notification.status.value,
        "created_at": notification.created_at,
        "attempts": notification.attempts,
        "last_error": notification.last_error,
        "next_attempt_at": notification.next_attempt_at,
        "gave_up": notification.gave_up,
    }


def notification_from(row: Row[Any]) -> Notification:
    m = row._mapping
    return Notification(
        id=m["id"],
        user_id=m["user_id"],
        channel=m["channel"],
        template=m["template"],
        recipient=m["recipient"],
        subject=m["subject"],
        body=m["body"],
        status=NotificationStatus(m["status"]),
        created_at=m["created_at"],
        attempts=m["attempts"],
        last_error=m["last_error"],
        next_attempt_at=m["next_attempt_at"],
        gave_up=bool(m["gave_up"]),
        version=m["version"],
    )


def supplier_values(supplier: Supplier) -> dict[str, Any]:
    return {
        "id": supplier.id,
        "name": supplier.name,
        "api_key_hash": supplier.api_key_hash,
        "created_at": supplier.created_at,
    }


def supplier_from(row: Row[Any]) -> Supplier:
    m = row._mapping
    return Supplier(m["id"], m["name"], m["api_key_hash"], m["created_at"], version=m["version"])


def receipt_values(receipt: SupplierReceipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "supplier_id": receipt.supplier_id,
        "reference": receipt.reference,
        "lines": [[line.sku, line.product_id, line.quantity] for line in receipt.lines],
        "received_at": receipt.received_at,
    }


def receipt_from(row: Row[Any]) -> SupplierReceipt:
    m = row._mapping
    lines = m["lines"]
    if isinstance(lines, str):  # asyncpg hands JSON over as text
        lines = json.loads(lines)
    return SupplierReceipt(
        m["id"],
        m["supplier_id"],
        m["reference"],
        tuple(ReceiptLine(sku, pid, qty) for sku, pid, qty in lines),
        m["received_at"],
        version=m["version"],
    )
