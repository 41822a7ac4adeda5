"""The SQL profile's wiring: the container serves SQL adapters, with a configurable pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.sqlalchemy.idempotency import SqlIdempotencyStore
from adapters.sqlalchemy.outbox import SqlOutbox
from adapters.sqlalchemy.sessions import SqlRefreshTokenStore
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from entrypoints import db
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings, SettingsError


async def test_a_database_url_swaps_in_the_sql_adapters(tmp_path: Path) -> None:
    container = build_container(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db"))
    async with open_shop(container=container):
        assert isinstance(container.uow(), SqlUnitOfWork)
        assert isinstance(container.outbox(), SqlOutbox)
        assert isinstance(container.idempotency(), SqlIdempotencyStore)
        assert isinstance(container.refresh_tokens(), SqlRefreshTokenStore)
    assert (tmp_path / "s.db").exists()


def test_the_postgresql_pool_is_20_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/not_opened"
    monkeypatch.delenv("COMMERCE_DATABASE_POOL_SIZE", raising=False)
    assert build_container(Settings(database_url=url)).database().engine.pool.size() == 20
    monkeypatch.setenv("COMMERCE_DATABASE_POOL_SIZE", "7")
    assert build_container(Settings(database_url=url)).database().engine.pool.size() == 7
    monkeypatch.setenv("COMMERCE_DATABASE_POOL_SIZE", "many")
    with pytest.raises(SettingsError):
        db.pool_size()


async def test_upgrade_refuses_the_memory_profile() -> None:
    with pytest.raises(SettingsError):
        await db.upgrade(Settings())
