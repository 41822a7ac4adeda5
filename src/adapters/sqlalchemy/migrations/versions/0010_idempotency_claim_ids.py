"""Idempotency keys: the id of the claim that owns an in-flight key.

Only that claim completes or releases the key, so a request whose claim was taken over after its
lease ran out no longer drops or overwrites its successor's. Rows claimed before this keep NULL
(no id matches it): their old-version owners complete them without one.

Revision ID: 0010_idempotency_claim_ids
Revises: 0009_search_layout
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_idempotency_claim_ids"
down_revision = "0009_search_layout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("claim_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("claim_id")
