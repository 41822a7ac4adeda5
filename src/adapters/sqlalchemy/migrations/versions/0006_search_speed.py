"""Search without ranking every match: relevance is the number of query words in the name, then
newest first.

SQLite: a document's rowid becomes its age (second of ``created_at``), its category's code
(``search_categories``) and its stock bit, then a sequence number, so the newest matches are the
end of an FTS5 doclist and category counts need no row; the FTS5 table keeps no positions, sizes
(``detail=column, columnsize=0``: no query reads them) or prefix indexes (three quarters of its
size, for little speed); a narrow covering index serves the joins that remain.
The FTS5 table is dropped, the rows rekeyed, and the index rebuilt from ``search_documents``.

Revision ID: 0006_search_speed
Revises: 0005_reporting
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

from adapters.search import sqlite_fts

revision = "0006_search_speed"
down_revision = "0005_reporting"
branch_labels = None
depends_on = None

_FTS_OBJECTS = (
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TABLE IF EXISTS search_fts",
)


def _rekey_sqlite(conn: Connection) -> None:
    """Every doc_id from the document's age, category and stock, the old ones first moved past
    the new (which stay below 2**62)."""
    conn.execute(text("UPDATE search_documents SET doc_id = doc_id + 4611686018427387904"))
    for statement in sqlite_fts.schema_statements():
        if "search_categories" in statement:
            conn.execute(text(statement))
    conn.execute(
        text(
            "INSERT INTO search_categories (category, category_key)"
            " SELECT DISTINCT category, category_key FROM search_documents WHERE true"
            " ORDER BY category ON CONFLICT (category) DO NOTHING"
        )
    )
    codes = dict(conn.execute(text("SELECT category, code FROM search_categories")).all())
    rows = conn.execute(
        text(
            "SELECT doc_id, created_ts, category, in_stock FROM search_documents"
            " ORDER BY created_ts, product_id"
        )
    ).all()
    taken: dict[int, int] = {}
    updates = []
    for row in rows:
        first = sqlite_fts.first_key(row.created_ts, codes[row.category], bool(row.in_stock))
        sequence = taken.get(first, 0)
        taken[first] = sequence + 1
        updates.append({"old": row.doc_id, "new": first + sequence})
    if updates:
        conn.execute(text("UPDATE search_documents SET doc_id = :new WHERE doc_id = :old"), updates)


def _upgrade_sqlite(conn: Connection) -> None:
    for statement in _FTS_OBJECTS:
        conn.execute(text(statement))
    _rekey_sqlite(conn)
    for statement in sqlite_fts.schema_statements():
        conn.execute(text(statement))
    conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _upgrade_sqlite(conn)


def downgrade() -> None:
    # The 0002 schema is rebuilt by `commerce search reindex` after downgrading past 0002.
    raise NotImplementedError("search_speed cannot be undone in place: reindex instead")
