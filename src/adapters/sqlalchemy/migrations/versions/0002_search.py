"""The search index: FTS5 on SQLite, a tsvector with GIN and trigram indexes on PostgreSQL.

The DDL is the search adapters' own (``schema_statements``), so it is written in one place.
A database that already holds products fills its index with ``commerce search reindex``.

Revision ID: 0002_search
Revises: 0001_initial
Create Date: 2026-11-30
"""

from __future__ import annotations

from types import ModuleType

from alembic import op
from sqlalchemy import text

from adapters.search import postgres_fts, sqlite_fts

revision = "0002_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _module() -> ModuleType:
    return sqlite_fts if op.get_bind().dialect.name == "sqlite" else postgres_fts


def upgrade() -> None:
    for statement in _module().schema_statements():
        op.execute(text(statement))


def downgrade() -> None:
    for statement in _module().drop_statements():
        op.execute(text(statement))
