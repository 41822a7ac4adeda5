"""PostgreSQL search: rows in name order, with room on each page for their updates.

A broad text query reads every match's heap row; clustered by ``ix_search_documents_name`` the
products that share the first words of their name share pages, so it reads from two thirds down
to a ninth as many (see ``adapters.search.postgres_fts``). ``fillfactor`` 90 keeps a stock
change on its page.
The table is rewritten once here (``CLUSTER``: it is locked while that runs, ~4 s at 100,000
products); ``CLUSTER search_documents`` repeats it later. SQLite: nothing changes.

Revision ID: 0009_search_layout
Revises: 0008_reporting_months
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from adapters.search import postgres_fts

revision = "0009_search_layout"
down_revision = "0008_reporting_months"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        return
    for statement in postgres_fts.schema_statements():
        conn.execute(text(statement))
    for statement in postgres_fts.reorganize_statements():
        conn.execute(text(statement))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        return
    conn.execute(text("ALTER TABLE search_documents SET WITHOUT CLUSTER"))
    conn.execute(text("ALTER TABLE search_documents RESET (fillfactor)"))
