"""Alembic environment: runs on the connection that ``adapters.sqlalchemy.migrate`` hands over
(``config.attributes["connection"]``), inside that connection's transaction."""

from __future__ import annotations

from alembic import context

from adapters.sqlalchemy.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `commerce db upgrade` (entrypoints.db.upgrade), which supplies "
        "the connection"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
