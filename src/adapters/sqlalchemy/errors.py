"""Database errors translated into the domain's (the same ones the in-memory twin raises)."""

from __future__ import annotations

from sqlalchemy import exc

from commerce_core.shared.errors import (
    ConcurrencyConflict,
    DuplicateSku,
    EmailTaken,
    InsufficientStock,
    TransientError,
)

# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def _sqlstate(error: exc.DBAPIError) -> str | None:
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state is None and orig is not None:
        state = getattr(orig.__cause__, "sqlstate", None)
    return state


def translate(error: exc.DBAPIError) -> Exception:
    """The domain error for a failed statement; the error itself when it is not ours to map."""
    text = str(error.orig)
    if isinstance(error, exc.IntegrityError):
        if "users.email" in text or "uq_users_email" in text:
            return EmailTaken("this e-mail is already registered", field="email")
        if "products.sku" in text or "uq_products_sku" in text:
            return DuplicateSku("a product with this sku exists", field="sku")
        if "ck_stock_available" in text or "CHECK constraint failed" in text:
            return InsufficientStock("the change would leave negative stock")
        return ConcurrencyConflict(f"written concurrently: {text.splitlines()[0]}")
    if _sqlstate(error) in _RETRYABLE_SQLSTATES:
        return ConcurrencyConflict(text.splitlines()[0])
    if "database is locked" in text:
        return TransientError("the database is busy")
    return error
