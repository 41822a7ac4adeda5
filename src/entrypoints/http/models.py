"""Request and response bodies of the HTTP API; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from attrs import Factory, frozen

from commerce_core.catalog.model import SKU_PATTERN
from commerce_core.catalog.ports import SORTS
from commerce_core.identity.model import EMAIL_PATTERN, Role
from commerce_core.inventory.model import ADJUSTMENT_REASONS as ADJUSTMENT_REASON_SET
from commerce_core.ordering.model import OrderStatus
from entrypoints.http.schema import DECIMAL_PATTERN, spec

# One source for each rule: the domain's. Patterns are written for both Python's re and the
# ECMA regexes of JSON Schema (they disagree on what \s means beyond ASCII).
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
ROLES = tuple(role.value for role in Role)
ADJUSTMENT_REASONS = tuple(sorted(reason.value for reason in ADJUSTMENT_REASON_SET))
STATUSES = tuple(status.value for status in OrderStatus)

# -- requests ----------------------------------------------------------------------------------


@frozen
class RegisterRequest:
    email: str = spec(pattern=EMAIL_PATTERN, max_length=254)
    password: str = spec(min_length=8, max_length=256)
    name: str = spec(pattern=NOT_BLANK, max_length=200)


@frozen
class LoginRequest:
    email: str = spec(min_length=1, max_length=320)
    password: str = spec(min_length=1, max_length=256)


@frozen
class RefreshRequest:
    refresh_token: str = spec(min_length=1, max_length=512)


@frozen
class ProductRequest:
    sku: str = spec(pattern=SKU_PATTERN)
    name: str = spec(pattern=NOT_BLANK, max_length=200)
    description: str = spec(max_length=5000)
    category: str = spec(pattern=NOT_BLANK, max_length=100)
    price: Decimal = spec(pattern=DECIMAL_PATTERN, description="a decimal string, e.g. \"19.99\"")
    currency: str = spec(pattern=CURRENCY_PATTERN, description="ISO 4217 code")
    stock: int = spec(default=0, minimum=0, maximum=1_000_000_000)


@frozen
class ProductPatch:
    """Only the fields given change; null is the same as leaving a field out."""

    name: str | None = spec(default=None, pattern=NOT_BLANK, max_length=200)
    description: str | None = spec(default=None, max_length=5000)
    category: str | None = spec(default=None, pattern=NOT_BLANK, max_length=100)
    price: Decimal | None = spec(default=None, pattern=DECIMAL_PATTERN)
    currency: str | None = spec(default=None, pattern=CURRENCY_PATTERN)
    active: bool | None = spec(default=None)


@frozen
class CartItemRequest:
    product_id: str = spec(min_length=1, max_length=100)
    quantity: int = spec(minimum=1, maximum=1000)


@frozen
class CartQuantityRequest:
    quantity: int = spec(minimum=1, maximum=1000)


@frozen
class PaymentMethod:
    type: Literal["card"]
    token: str = spec(pattern=r"^[ -~]{1,200}$", description="tok_visa, tok_chargeDeclined, ...")


@frozen
class CheckoutRequest:
    payment_method: PaymentMethod


@frozen
class AdjustmentRequest:
    delta: int = spec(minimum=-1_000_000, maximum=1_000_000, not_equal=0)
    reason: str = spec(enum=ADJUSTMENT_REASONS)
    reference: str | None = spec(default=None, max_length=200)


@frozen
class ProductQuery:
    q: str | None = spec(default=None, max_length=200)
    category: str | None = spec(default=None, max_length=100)
    min_price: Decimal | None = spec(default=None, pattern=DECIMAL_PATTERN)
    max_price: Decimal | None = spec(default=None, pattern=DECIMAL_PATTERN)
    in_stock: bool | None = spec(default=None)
    sort: str = spec(default="relevance", enum=SORTS)
    page: int = spec(default=1, minimum=1, maximum=10_000)
    page_size: int = spec(default=20, minimum=1, maximum=100)


@frozen
class PageQuery:
    page: int = spec(default=1, minimum=1, maximum=10_000)
    page_size: int = spec(default=20, minimum=1, maximum=100)


# -- responses ---------------------------------------------------------------------------------


@frozen
class UserOut:
    id: str
    email: str
    name: str
    role: str = spec(enum=ROLES)


@frozen
class TokensOut:
    user: UserOut
    access_token: str
    refresh_token: str
    token_type: str = spec(enum=("Bearer",))
    expires_in: int = spec(minimum=1, description="seconds the access token lives")


@frozen
class ProductOut:
    id: str
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    currency: str
    stock_available: int
    active: bool
    created_at: datetime


@frozen
class ProductPageOut:
    items: list[ProductOut]
    total: int
    page: int
    page_size: int


@frozen
class CartLineOut:
    product_id: str
    name: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal


@frozen
class CartOut:
    items: list[CartLineOut]
    total: Decimal
    currency: str | None


@frozen
class OrderLineOut:
    product_id: str
    sku: str
    name: str
    quantity: int
    price: Decimal
    subtotal: Decimal


@frozen
class OrderOut:
    id: str
    user_id: str
    status: str = spec(enum=STATUSES)
    items: list[OrderLineOut] = spec()
    total: Decimal = spec()
    currency: str = spec()
    created_at: datetime = spec()
    updated_at: datetime = spec()
    cancel_reason: str | None = spec()


@frozen
class OrderPageOut:
    items: list[OrderOut]
    total: int
    page: int
    page_size: int


@frozen
class StockOut:
    product_id: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int


@frozen
class MovementOut:
    at: datetime
    delta_on_hand: int
    delta_reserved: int
    reason: str
    reference: str | None


@frozen
class MovementsOut:
    items: list[MovementOut]


@frozen
class LowStockItemOut:
    product_id: str
    sku: str
    name: str
    available: int
    low_stock_threshold: int


@frozen
class LowStockOut:
    items: list[LowStockItemOut]


@frozen
class HealthOut:
    status: str


@frozen
class ReplicaOut:
    """A read replica as the router last saw it; only ``ok`` ones serve reads."""

    name: str
    state: Literal["ok", "lagging", "down", "starting"]
    replay_lsn: str | None
    lag_ms: int | None
    error: str | None


@frozen
class ReadyOut:
    status: str
    checks: dict[str, str]
    # With COMMERCE_DATABASE_REPLICA_URLS: each replica's state; one down never makes /ready fail.
    replicas: list[ReplicaOut] = Factory(list)


@frozen
class FieldError:
    field: str
    message: str


@frozen
class Problem:
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    order_id: str | None = None
    cancel_reason: str | None = None
