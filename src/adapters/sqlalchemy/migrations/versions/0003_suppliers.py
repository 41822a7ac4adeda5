"""Suppliers (API keys stored as SHA-256) and their receipts, one per (supplier, reference).

Revision ID: 0003_suppliers
Revises: 0002_search
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_suppliers"
down_revision = "0002_search"
branch_labels = None
depends_on = None

# A frozen copy of the timestamp type in tables.py (a migration never imports the current schema).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("api_key_hash", sa.String(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_suppliers_api_key_hash")),
    )
    op.create_table(
        "supplier_receipts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("supplier_id", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_receipts")),
        sa.UniqueConstraint(
            "supplier_id", "reference", name=op.f("uq_supplier_receipts_reference")
        ),
    )


def downgrade() -> None:
    op.drop_table("supplier_receipts")
    op.drop_table("suppliers")
