"""Domain objects to response bodies (money as decimal strings, times as ISO 8601)."""

from __future__ import annotations

from decimal import Decimal

from commerce_core.cart.views import CartView
from commerce_core.catalog.model import Product
from commerce_core.identity.auth import Session
from commerce_core.identity.model import User
from commerce_core.inventory.model import Movement, Stock
from commerce_core.ordering.model import Order
from entrypoints.http import models as out


def user(u: User) -> out.UserOut:
    return out.UserOut(u.id, u.email, u.name, u.role.value)


def session(s: Session) -> out.TokensOut:
    return out.TokensOut(user(s.user), s.access_token, s.refresh_token, s.token_type,
                         s.expires_in)


def product(p: Product) -> out.ProductOut:
    return out.ProductOut(
        p.id, p.sku, p.name, p.description, p.category, p.price.amount, p.price.currency,
        p.stock_available, p.active, p.created_at,
    )


def cart(c: CartView) -> out.CartOut:
    lines = [
        out.CartLineOut(li.product_id, li.name, li.quantity, li.unit_price.amount,
                        li.subtotal.amount)
        for li in c.items
    ]
    # Subtotals share the currency's exponent, so their plain sum is the exact total.
    total = sum((line.subtotal for line in lines), Decimal(0)) if lines else Decimal(0)
    return out.CartOut(lines, total, c.currency)


def order(o: Order) -> out.OrderOut:
    lines = [
        out.OrderLineOut(li.product_id, li.sku, li.name, li.quantity, li.price.amount,
                         li.subtotal.amount)
        for li in o.lines
    ]
    return out.OrderOut(o.id, o.user_id, o.status.value, lines, o.total.amount, o.currency,
                        o.created_at, o.updated_at, o.cancel_reason)


def stock(s: Stock) -> out.StockOut:
    return out.StockOut(s.product_id, s.on_hand, s.reserved, s.available, s.low_stock_threshold)


def movement(m: Movement) -> out.MovementOut:
    return out.MovementOut(m.at, m.delta_on_hand, m.delta_reserved, m.reason.value, m.reference)
