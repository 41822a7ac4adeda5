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
    mapped = classify(str(error.orig), _sqlstate(error),
                      integrity=isinstance(error, exc.IntegrityError))
    return error if mapped is None else mapped


def classify(text: str, sqlstate: str | None, *, integrity: bool) -> Exception | None:
    """Shared by the Core path and the asyncpg fast path (which sees asyncpg's own errors)."""
    if integrity or (sqlstate or "").startswith("23"):
        if "users.email" in text or "uq_users_email" in text:
            return EmailTaken("this e-mail is already registered", field="email")
        if "products.sku" in text or "uq_products_sku" in text:
            return DuplicateSku("a product with this sku exists", field="sku")
        if "ck_stock_available" in text or "CHECK constraint failed" in text:
            return InsufficientStock("the change would leave negative stock")
        if "inbox" in text:
            return DuplicateInboxRow(text)
        return ConcurrencyConflict(f"written concurrently: {text.splitlines()[0]}")
    if sqlstate in _RETRYABLE_SQLSTATES:
        return ConcurrencyConflict(text.splitlines()[0])
    if "database is locked" in text:
        return TransientError("the database is busy")
    return None


class DuplicateInboxRow(Exception):
    """The inbox already holds (consumer, message_id); the unit of work says AlreadyProcessed."""
