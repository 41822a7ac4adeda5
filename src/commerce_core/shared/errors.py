"""Domain errors. Each carries a stable ``code`` that the edges (HTTP, CLI) map to an answer.

The class hierarchy says what kind of failure it is (not found, conflict, invalid input, ...), so an
edge maps a whole family with one rule while the code stays specific.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "Request cannot be processed"

    def __init__(self, detail: str = "", **context: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.context = context


# -- families ----------------------------------------------------------------------------------


class InvalidInput(DomainError):
    """The request is well-formed but a value breaks a rule."""

    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, detail: str = "", *, field: str | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.field = field


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The request is valid but the current state forbids it."""

    code = "conflict"
    title = "Conflict"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


class TransientError(DomainError):
    """Retrying later may succeed (a dependency is away, an event arrived before its cause)."""

    code = "transient"
    title = "Temporarily unavailable"


# -- invalid input -----------------------------------------------------------------------------


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"
    title = "Quantity must be an integer from 1 to 1000"


class InvalidMoney(InvalidInput):
    code = "invalid_money"
    title = "Invalid amount of money"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
    title = "Amounts in different currencies"


class InvalidEmail(InvalidInput):
    code = "invalid_email"
    title = "Invalid e-mail address"


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "Password too weak"


class InvalidProduct(InvalidInput):
    code = "invalid_product"
    title = "Invalid product data"


class InvalidAdjustment(InvalidInput):
    code = "invalid_adjustment"
    title = "Invalid stock adjustment"


# -- not found ---------------------------------------------------------------------------------


class UnknownProduct(NotFound):
    code = "unknown_product"
    title = "Product not found"


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "Order not found"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class CartItemNotFound(NotFound):
    code = "cart_item_not_found"
    title = "Product is not in the cart"


class StockNotFound(NotFound):
    code = "stock_not_found"
    title = "No stock record for this product"


# -- conflicts ---------------------------------------------------------------------------------


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Not allowed in the current state"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "E-mail already registered"


class DuplicateSku(Conflict):
    code = "duplicate_sku"
    title = "A product with this SKU exists"


class EmptyCart(Conflict):
    code = "empty_cart"
    title = "The cart is empty"


class ConcurrencyConflict(Conflict):
    """Another transaction changed the aggregate first; the message bus retries the handler."""

    code = "concurrency_conflict"
    title = "Concurrent update"


# -- auth --------------------------------------------------------------------------------------


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "Invalid e-mail or password"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "Invalid or expired token"


class PermissionDenied(Forbidden):
    code = "permission_denied"
    title = "Not allowed for this role"


class ProductUnavailable(Conflict):
    code = "product_unavailable"
    title = "A product in the cart is no longer sold"


# -- throttling and idempotency ------------------------------------------------------------------


class TooManyAttempts(DomainError):
    """Too many attempts in the window; ``retry_after`` says how many seconds to wait."""

    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, detail: str = "", *, retry_after: int = 1, **context: Any) -> None:
        super().__init__(detail, **context)
        self.retry_after = max(1, int(retry_after))


class RequestInFlight(Conflict):
    code = "request_in_flight"
    title = "A request with this Idempotency-Key is still being processed"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used with another request body"
