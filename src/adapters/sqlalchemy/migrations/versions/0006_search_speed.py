"""Search without ranking every match: relevance is the number of query words in the name, then
newest first, on both databases.

SQLite: a document's rowid becomes its age (second of ``created_at``), its category's code
(``search_categories``) and its stock bit, then a sequence number, so the newest matches are the
end of an FTS5 doclist and category counts need no row; the FTS5 table keeps no positions, sizes
(``detail=column, columnsize=0``: no query reads them) or prefix indexes (three quarters of its
size, for little speed); a narrow covering index serves the joins that remain.
The FTS5 table is dropped, the rows rekeyed, and the index rebuilt from ``search_documents``.

PostgreSQL: ``name_words`` (the name's folded words between spaces) for the name test; the
tsvector stripped of positions and weights; the columns a query reads first in the row (the table
is rebuilt); the vocabulary holds the tsvectors' lexemes too.

Revision ID: 0006_search_speed
Revises: 0005_reporting
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

from adapters.search import fts5_sql, postgres_fts, sqlite_fts
from commerce_core.catalog.search import words_of

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
    found = conn.execute(text("SELECT category, code FROM search_categories"))
    codes: dict[str, int] = {row[0]: row[1] for row in found}
    rows = conn.execute(
        text(
            "SELECT doc_id, created_ts, category, in_stock FROM search_documents"
            " ORDER BY created_ts, product_id"
        )
    ).all()
    taken: dict[int, int] = {}
    updates = []
    for row in rows:
        first = fts5_sql.first_key(row.created_ts, codes[row.category], bool(row.in_stock))
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


_COLUMNS = (
    "created_at, stock_version, in_stock, product_id, category, category_key, price, name_key,"
    " currency, sku, name, description"
)


def _upgrade_postgresql(conn: Connection) -> None:
    has_name_words = conn.scalar(
        text(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'search_documents' AND column_name = 'name_words'"
        )
    )
    if not has_name_words:
        # The 0002 table: rebuilt with the read columns first and the tsvector stripped; its
        # indexes and triggers go with it and come back from the schema statements.
        conn.execute(text(postgres_fts.documents_table("search_documents_0006")))
        conn.execute(
            text(
                f"INSERT INTO search_documents_0006 ({_COLUMNS}, document)"
                f" SELECT {_COLUMNS}, strip(document) FROM search_documents"
            )
        )
        conn.execute(text("DROP TABLE search_documents"))
        conn.execute(text("ALTER TABLE search_documents_0006 RENAME TO search_documents"))
        conn.execute(text("ALTER INDEX search_documents_0006_pkey RENAME TO search_documents_pkey"))
    rows = conn.execute(
        text("SELECT product_id, name FROM search_documents WHERE name_words = ''")
    ).all()
    if rows:
        conn.execute(
            text("UPDATE search_documents SET name_words = :words WHERE product_id = :p"),
            [{"p": r.product_id, "words": " " + " ".join(words_of(r.name))} for r in rows],
        )
    conn.execute(
        text(
            "INSERT INTO search_terms (word) SELECT DISTINCT unnest(tsvector_to_array(document))"
            " FROM search_documents ON CONFLICT DO NOTHING"
        )
    )
    for statement in postgres_fts.schema_statements():
        conn.execute(text(statement))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _upgrade_sqlite(conn)
    else:
        _upgrade_postgresql(conn)


def downgrade() -> None:
    # The 0002 schema is rebuilt by `commerce search reindex` after downgrading past 0002.
    raise NotImplementedError("search_speed cannot be undone in place: reindex instead")
