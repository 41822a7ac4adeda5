"""A fresh ClickHouse database per test on the server that .ci/run starts (127.0.0.1:9000).

Imported by the tests of the warehouse (their conftest) and by the reporting contract suite."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest

from adapters.clickhouse.connection import ClickHouse
from adapters.clickhouse.reporting import ClickHouseReportingStore

SERVER_URL = os.environ.get("COMMERCE_TEST_CLICKHOUSE_URL", "clickhouse://127.0.0.1:9000/default")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, reason: str) -> None:
    """The root conftest's rule (a sub-directory cannot import it): skip, but fail in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: integration tests must run)")
    pytest.skip(reason)


def clickhouse_reachable(url: str = SERVER_URL) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 9000), 1):
            return True
    except OSError:
        return False


@pytest.fixture
def clickhouse_url() -> Iterator[str]:
    """The URL of an empty database, dropped after the test."""
    require_service(clickhouse_reachable(), f"ClickHouse is not reachable at {SERVER_URL}")
    from clickhouse_driver import Client

    admin = Client.from_url(SERVER_URL)
    database = f"commerce_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE DATABASE {database}")
    parts = urlsplit(SERVER_URL)
    try:
        yield parts._replace(path=f"/{database}").geturl()
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.disconnect()


@pytest.fixture
async def clickhouse(clickhouse_url: str) -> AsyncIterator[ClickHouse]:
    connection = ClickHouse(clickhouse_url)
    try:
        yield connection
    finally:
        await connection.aclose()


@pytest.fixture
async def clickhouse_store(clickhouse: ClickHouse) -> ClickHouseReportingStore:
    store = ClickHouseReportingStore(clickhouse)
    await store.create_schema()
    return store
