"""SQL adapters (SQLite and PostgreSQL) on SQLAlchemy Core: tables, repositories, unit of work,
outbox, inbox, idempotency keys and refresh tokens, and the Alembic migrations that build them."""
