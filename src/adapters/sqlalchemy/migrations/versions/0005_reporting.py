"""Reporting: the read models (sales by day, product and category; products' stock and
movements; the funnel), the message ids they have folded in, and the event journal.

Revision ID: 0005_reporting
Revises: 0004_returns
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_reporting"
down_revision = "0004_returns"
branch_labels = None
depends_on = None

# Frozen copies of the types in tables.py (a migration never imports the current schema).
TIMESTAMP = sa.DateTime(timezone=True)
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _figures() -> list[sa.Column[int]]:
    return [
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("revenue_milli", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "reporting_seen",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_reporting_seen")),
    )
    op.create_table(
        "reporting_products",
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("low_stock_threshold", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("stock_version", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("adjusted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_reporting_products")),
    )
    op.create_table(
        "reporting_orders",
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_reporting_orders")),
    )
    op.create_table(
        "reporting_sales_by_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint("day", "currency", name=op.f("pk_reporting_sales_by_day")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reporting_sales_by_product",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint(
            "day",
            "product_id",
            "category",
            "currency",
            name=op.f("pk_reporting_sales_by_product"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reporting_sales_by_category",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint(
            "day", "category", "currency", name=op.f("pk_reporting_sales_by_category")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reporting_funnel",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step", sa.String(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "step", name=op.f("pk_reporting_funnel")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_journal",
        sa.Column("position", SERIAL, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_event_journal")),
        sa.UniqueConstraint("message_id", name=op.f("uq_event_journal_message_id")),
    )


def downgrade() -> None:
    for table in (
        "event_journal",
        "reporting_funnel",
        "reporting_sales_by_category",
        "reporting_sales_by_product",
        "reporting_sales_by_day",
        "reporting_orders",
        "reporting_products",
        "reporting_seen",
    ):
        op.drop_table(table)
