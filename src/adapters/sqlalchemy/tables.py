"""The schema, once for both databases. Migrations are written from it, never generated at run time.

The domain classes are not mapped with the ORM: the in-memory twin copies aggregates with
``object.__new__`` and instrumented classes would refuse that, and the hot paths (the guarded stock
update, version-checked transitions) are single Core statements anyway. Rows become aggregates in
``rows.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them naive, PostgreSQL as timestamptz."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the domain works in aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Sorting by name must agree with Python's code-point order on both databases.
SortableText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
# An autoincrementing surrogate key: SQLite only autoincrements an INTEGER PRIMARY KEY.
Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("email", sa.String, nullable=False, unique=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("sku", sa.String, nullable=False, unique=True),
    sa.Column("name", SortableText, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("category", sa.String, nullable=False),
    sa.Column("price_amount", sa.String, nullable=False),  # exact decimal text
    sa.Column("price_currency", sa.String, nullable=False),
    sa.Column("price_milli", sa.BigInteger, nullable=False),  # amount x 1000, to sort and filter
    sa.Column("stock_available", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("stock_version", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # Case- and accent-folded copies (see memory.repositories.fold) for search and sorting.
    sa.Column("name_key", SortableText, nullable=False),
    sa.Column("category_key", sa.Text, nullable=False),
    sa.Column("other_key", sa.Text, nullable=False),
    sa.Index("ix_products_category_key", "category_key"),
)

stock = sa.Table(
    "stock",
    metadata,
    sa.Column("product_id", sa.String, primary_key=True),
    sa.Column("on_hand", sa.Integer, nullable=False),
    sa.Column("reserved", sa.Integer, nullable=False),
    sa.Column("low_stock_threshold", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # The backstop behind the guarded UPDATE: no statement can leave these negative.
    sa.CheckConstraint("reserved >= 0 AND on_hand - reserved >= 0", name="available"),
)

stock_movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("id", Serial, primary_key=True, autoincrement=True),
    sa.Column("product_id", sa.String, nullable=False),
    sa.Column("delta_on_hand", sa.Integer, nullable=False),
    sa.Column("delta_reserved", sa.Integer, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("reference", sa.String),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_stock_movements_product_id", "product_id", "id"),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("order_id", sa.String, primary_key=True),
    sa.Column("items", sa.JSON, nullable=False),  # [[product_id, quantity], ...]
    sa.Column("status", sa.String, nullable=False),
    sa.Column("reserved_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_reservations_status_expires_at", "status", "expires_at"),
)

orders = sa.Table(
    "orders",
    metadata,
    # Insertion order: a customer's orders list newest first, as the in-memory store does.
    sa.Column("seq", Serial, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String, nullable=False, unique=True),
    sa.Column("user_id", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("currency", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("cancel_reason", sa.String),
    sa.Column("payment_method", sa.String, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_orders_user_id_seq", "user_id", "seq"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("order_id", sa.String, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.String, nullable=False),
    sa.Column("sku", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price_amount", sa.String, nullable=False),
    sa.Column("price_currency", sa.String, nullable=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("order_id", sa.String, primary_key=True),
    sa.Column("user_id", sa.String, nullable=False),
    sa.Column("amount", sa.String, nullable=False),
    sa.Column("currency", sa.String, nullable=False),
    sa.Column("method_token", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("reference", sa.String),
    sa.Column("failure_reason", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("seq", Serial, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String, nullable=False, unique=True),
    sa.Column("user_id", sa.String, nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("template", sa.String, nullable=False),
    sa.Column("recipient", sa.String, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", UtcDateTime),  # NULL: due at created_at
    sa.Column("gave_up", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_notifications_user_id_seq", "user_id", "seq"),
    sa.Index(
        "ix_notifications_retry", "next_attempt_at",
        postgresql_where=sa.text("status <> 'SENT' AND NOT gave_up"),
        sqlite_where=sa.text("status <> 'SENT' AND NOT gave_up"),
    ),
)

notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column("user_id", sa.String, primary_key=True),
    sa.Column("channels", sa.Text, nullable=False),  # e.g. "email,sms", in CHANNEL_ORDER
    sa.Column("phone", sa.Text),
    sa.Column("push_token", sa.Text),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

suppliers = sa.Table(
    "suppliers",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("api_key_hash", sa.String, nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

supplier_receipts = sa.Table(
    "supplier_receipts",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("supplier_id", sa.String, nullable=False),
    sa.Column("reference", sa.String, nullable=False),
    sa.Column("lines", sa.JSON, nullable=False),  # [[sku, product_id, quantity], ...]
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("supplier_id", "reference", name="uq_supplier_receipts_reference"),
)

returns = sa.Table(
    "returns",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("order_id", sa.String, nullable=False),
    sa.Column("user_id", sa.String, nullable=False),
    sa.Column("items", sa.JSON, nullable=False),  # [[product_id, quantity], ...]
    sa.Column("refund_amount", sa.String, nullable=False),
    sa.Column("currency", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("refunded", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_returns_order_id", "order_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", Serial, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String, nullable=False, unique=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),  # adapters.wire bytes
    sa.Column("written_at", sa.Float, nullable=False),  # epoch seconds
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.String, primary_key=True),
    sa.Column("message_id", sa.String, primary_key=True),
    sa.Column("processed_at", UtcDateTime, nullable=False),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("user_id", sa.String, primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("fingerprint", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("response_status", sa.Integer),  # NULL while the first request is in flight
    sa.Column("response_body", sa.LargeBinary),
    sa.Column("response_location", sa.Text),
    sa.Column("claim_id", sa.String),  # the in-flight owner's; only it completes or releases
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String, primary_key=True),
    sa.Column("user_id", sa.String, nullable=False),
    sa.Column("family_id", sa.String, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("spent", sa.Boolean, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Index("ix_refresh_tokens_family_id", "family_id"),
)

# -- reporting: read models that the projection folds events into, and the event journal -------
# Revenue is kept in thousandths of the currency unit (every currency has at most 3 decimals), so
# both databases sum it exactly as integers.

reporting_seen = sa.Table(
    "reporting_seen",
    metadata,
    sa.Column("message_id", sa.String, primary_key=True),
)

reporting_products = sa.Table(
    "reporting_products",
    metadata,
    sa.Column("product_id", sa.String, primary_key=True),
    sa.Column("known", sa.Boolean, nullable=False),
    sa.Column("sku", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("category", sa.String, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("low_stock_threshold", sa.Integer, nullable=False),
    sa.Column("on_hand", sa.Integer, nullable=False),
    sa.Column("reserved", sa.Integer, nullable=False),
    sa.Column("stock_version", sa.Integer, nullable=False),
    sa.Column("received", sa.Integer, nullable=False),
    sa.Column("returned", sa.Integer, nullable=False),
    sa.Column("adjusted", sa.Integer, nullable=False),
)

reporting_orders = sa.Table(
    "reporting_orders",
    metadata,
    sa.Column("order_id", sa.String, primary_key=True),
    sa.Column("facts", sa.JSON, nullable=False),  # what the projection keeps of the order
)

# Clustered on the key (WITHOUT ROWID on SQLite): a report over a period reads one range.
reporting_sales_by_day = sa.Table(
    "reporting_sales_by_day",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("currency", sa.String, primary_key=True),
    sa.Column("orders", sa.BigInteger, nullable=False),
    sa.Column("units", sa.BigInteger, nullable=False),
    sa.Column("revenue_milli", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

reporting_sales_by_product = sa.Table(
    "reporting_sales_by_product",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("product_id", sa.String, primary_key=True),
    sa.Column("category", sa.String, primary_key=True),  # the product's category when sold
    sa.Column("currency", sa.String, primary_key=True),
    sa.Column("orders", sa.BigInteger, nullable=False),
    sa.Column("units", sa.BigInteger, nullable=False),
    sa.Column("revenue_milli", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# The same figures summed per month (``month`` is the month's first day): a long period reads its
# whole months here and only the days at its ends from the daily rows.
reporting_sales_by_product_month = sa.Table(
    "reporting_sales_by_product_month",
    metadata,
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("product_id", sa.String, primary_key=True),
    sa.Column("category", sa.String, primary_key=True),
    sa.Column("currency", sa.String, primary_key=True),
    sa.Column("orders", sa.BigInteger, nullable=False),
    sa.Column("units", sa.BigInteger, nullable=False),
    sa.Column("revenue_milli", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

reporting_sales_by_category = sa.Table(
    "reporting_sales_by_category",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("category", sa.String, primary_key=True),
    sa.Column("currency", sa.String, primary_key=True),
    sa.Column("orders", sa.BigInteger, nullable=False),
    sa.Column("units", sa.BigInteger, nullable=False),
    sa.Column("revenue_milli", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

reporting_funnel = sa.Table(
    "reporting_funnel",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("step", sa.String, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

event_journal = sa.Table(
    "event_journal",
    metadata,
    sa.Column("position", Serial, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String, nullable=False, unique=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),  # adapters.wire bytes
)
