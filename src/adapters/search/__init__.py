"""Search adapters: in memory, SQLite FTS5 and PostgreSQL full-text (Elasticsearch lives in
``adapters.elasticsearch``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from commerce_core.catalog.search import SearchIndex


def search_provider_for(engine_url: str, engine: AsyncEngine) -> SearchIndex:
    """The database's own full-text search for the SQL profile: FTS5 on SQLite, tsvector on
    PostgreSQL. Its schema comes from the search migration."""
    scheme = engine_url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        from adapters.search.sqlite_fts import SqliteFtsSearchIndex

        return SqliteFtsSearchIndex(engine)
    if scheme in {"postgresql", "postgres"}:
        from adapters.search.postgres_fts import PostgresFtsSearchIndex

        return PostgresFtsSearchIndex(engine)
    raise ValueError(f"no full-text search adapter for {scheme!r} databases")
