"""The read router's decisions and the consistency token, without a server: replica states are
set by hand as the polling loop would set them (tests/integration/test_read_replicas.py runs the
real thing)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from adapters.memory.cache import MemoryCache
from adapters.sqlalchemy.consistency import (
    PRIMARY_ONLY,
    FreshOnlyCache,
    MemoryStickyWrites,
    ReadScope,
    format_lsn,
    parse_lsn,
    read_scope,
)
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.replicas import DOWN, OK, ReadRouter
from entrypoints.container import build_container
from entrypoints.http.consistency import presented_token
from entrypoints.settings import Settings, SettingsError

PRIMARY = "postgresql+asyncpg://shop@127.0.0.1:5432/shop"
REPLICAS = ("postgresql+asyncpg://shop@10.0.0.2:5432/shop", "postgresql://shop@10.0.0.3/shop")


@pytest.fixture
async def router() -> AsyncIterator[ReadRouter]:
    """A router whose loop never ran: no connection is ever opened."""
    router = ReadRouter(
        Database(PRIMARY), REPLICAS, sticky=MemoryStickyWrites(window_s=60), max_lag_s=5
    )
    yield router
    await router.close()


def served(router: ReadRouter) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    router.observe(lambda target, reason: seen.append((target, reason)))
    return seen


def test_a_token_is_the_wal_position_in_postgresql_text_form() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert format_lsn(parse_lsn("16/B374D848") or 0) == "16/B374D848"
    for bad in (None, "", "16", "/1", "1/", "x/1", "1/2/3", "123456789/1", "-1/2", "1_0/2", "+1/2"):
        assert parse_lsn(bad) is None, bad


def test_the_header_wins_over_the_cookie_and_nonsense_is_ignored() -> None:
    cookie = (b"cookie", b"theme=dark; commerce_consistency=0/20")
    assert presented_token([cookie]) == 0x20
    assert presented_token([cookie, (b"x-consistency-token", b"0/30")]) == 0x30
    assert presented_token([(b"x-consistency-token", b"drop table")]) == 0
    assert presented_token([(b"cookie", b"\x00;;=")]) == 0


async def test_reads_outside_a_replica_tolerant_operation_go_to_the_primary(
    router: ReadRouter,
) -> None:
    for replica in router.replicas:
        replica.state, replica.replay_lsn = OK, 100
    assert await router.route() is None  # no request at all: a background loop
    with read_scope(ReadScope(replica_ok=False)):
        assert await router.route() is None


async def test_a_token_is_served_by_a_replica_past_it_else_by_the_primary(
    router: ReadRouter,
) -> None:
    seen = served(router)
    first, second = router.replicas
    first.state, first.replay_lsn = OK, 100
    second.state, second.replay_lsn = OK, 300
    with read_scope(ReadScope(replica_ok=True, token_lsn=200)):
        assert await router.route() is second
    with read_scope(ReadScope(replica_ok=True, token_lsn=400)):
        assert await router.route() is None
    second.state = DOWN
    with read_scope(ReadScope(replica_ok=True, token_lsn=200)):
        assert await router.route() is None
    first.state = DOWN
    with read_scope(ReadScope(replica_ok=True)):
        assert await router.route() is None
    assert seen == [
        ("replica", "replica"),
        ("primary", "behind"),
        ("primary", "behind"),
        ("primary", "unavailable"),
    ]


async def test_a_writer_without_a_token_needs_a_replica_past_their_write(
    router: ReadRouter,
) -> None:
    sticky = MemoryStickyWrites(window_s=60)
    router._sticky = sticky
    for replica in router.replicas:
        replica.state, replica.replay_lsn = OK, 100
    await sticky.remember("ana", 150)
    with read_scope(ReadScope(replica_ok=True, user_id="ana")):
        assert await router.route() is None
    with read_scope(ReadScope(replica_ok=True, user_id="bob")):
        assert await router.route() is not None
    router.replicas[0].replay_lsn = 150
    with read_scope(ReadScope(replica_ok=True, user_id="ana")):
        assert await router.route() is router.replicas[0]


async def test_sticky_writes_keep_the_highest_position_for_their_window() -> None:
    sticky = MemoryStickyWrites(window_s=0.05)
    await sticky.remember("ana", 200)
    await sticky.remember("ana", 100)
    assert await sticky.required("ana") == 200
    await sticky.remember("ana", PRIMARY_ONLY)
    assert await sticky.required("ana") == PRIMARY_ONLY
    await asyncio.sleep(0.06)
    assert await sticky.required("ana") == 0


async def test_sticky_writes_forget_the_oldest_writers_when_full() -> None:
    sticky = MemoryStickyWrites(window_s=60, max_users=10)
    for n in range(25):
        await sticky.remember(f"user{n}", n + 1)
    assert await sticky.required("user24") == 25
    assert await sticky.required("user0") == 0
    assert len(sticky._entries) <= 10


async def test_lag_is_the_age_of_the_oldest_primary_position_not_yet_replayed(
    router: ReadRouter,
) -> None:
    router._samples.extend([(100.0, 10), (101.0, 20), (102.0, 30)])
    assert router._lag(30, now=105.0) == 0.0
    assert router._lag(25, now=105.0) == 3.0
    assert router._lag(5, now=105.0) == 5.0


async def test_a_replica_that_fails_a_read_leaves_the_rotation(router: ReadRouter) -> None:
    seen = served(router)
    replica = router.replicas[0]
    replica.state, replica.replay_lsn = OK, 100
    await router.failed(replica, ConnectionResetError("gone"))
    assert replica.state == DOWN
    assert replica.status().error == "ConnectionResetError: gone"
    assert seen == [("primary", "fallback")]


async def test_a_value_read_from_a_lagging_replica_is_not_cached() -> None:
    cache = FreshOnlyCache(MemoryCache())
    with read_scope(ReadScope(replica_ok=True, served_behind=True)):
        await cache.set("product:1", "old", ttl_s=60)
    assert await cache.get("product:1") is None
    with read_scope(ReadScope(replica_ok=True)):
        await cache.set("product:1", "new", ttl_s=60)
    assert await cache.get("product:1") == "new"


def test_replicas_of_a_sqlite_primary_are_ignored_with_an_error(
    caplog: pytest.LogCaptureFixture, tmp_path: object
) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///./never-opened.db", replica_urls=REPLICAS)
    with caplog.at_level(logging.ERROR):
        container = build_container(settings)
    assert "read_router" not in container.providers
    assert "COMMERCE_DATABASE_REPLICA_URLS is ignored" in caplog.text


def test_a_replica_url_must_be_postgresql() -> None:
    with pytest.raises(SettingsError, match="not PostgreSQL"):
        build_container(Settings(database_url=PRIMARY, replica_urls=("mysql://r/shop",)))


def test_the_max_lag_comes_from_the_environment() -> None:
    env = {"COMMERCE_DATABASE_REPLICA_MAX_LAG_S": "12"}
    assert Settings.from_env(env).replica_max_lag_s == 12
    assert Settings.from_env({}).replica_max_lag_s == 5
    with pytest.raises(SettingsError):
        Settings.from_env({"COMMERCE_DATABASE_REPLICA_MAX_LAG_S": "soon"})
