"""Each customer's channel choice: one row per user, replaced whole.

Revision ID: 0007_notification_preferences
Revises: 0006_search_speed
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_notification_preferences"
down_revision = "0006_search_speed"
branch_labels = None
depends_on = None

# A frozen copy of the timestamp type in tables.py (a migration never imports the current schema).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("push_token", sa.Text(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
