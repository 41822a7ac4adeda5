"""Reporting: sales by product summed per month beside the daily rows, so a report over a year
reads twelve months of rows (the days at the period's ends still come from the daily table).

Revision ID: 0008_reporting_months
Revises: 0007_notification_preferences
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reporting_months"
down_revision = "0007_notification_preferences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporting_sales_by_product_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("revenue_milli", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "product_id", "category", "currency",
            name=op.f("pk_reporting_sales_by_product_month"),
        ),
        sqlite_with_rowid=False,
    )
    # Fills the months from the days already folded in (an upgrade of a running shop).
    op.execute(
        "INSERT INTO reporting_sales_by_product_month "
        "(month, product_id, category, currency, orders, units, revenue_milli) "
        "SELECT " + _month_of_day() + ", product_id, category, currency, "
        "SUM(orders), SUM(units), SUM(revenue_milli) FROM reporting_sales_by_product "
        "GROUP BY 1, product_id, category, currency"
    )


def _month_of_day() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "CAST(date_trunc('month', day) AS DATE)"
    return "strftime('%Y-%m-01', day)"


def downgrade() -> None:
    op.drop_table("reporting_sales_by_product_month")
