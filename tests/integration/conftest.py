"""PostgreSQL for the integration tests: one database per test run, dropped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
    require_service,
)


@pytest.fixture(scope="session")
def postgres_server() -> bool:
    return postgres_reachable()


@pytest.fixture
def postgres_database(postgres_server: bool) -> Iterator[str]:
    """A fresh, empty database for one test (the heavy tests want no neighbours)."""
    require_service(postgres_server, "PostgreSQL is not reachable at 127.0.0.1:5432")
    name, url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(name)
