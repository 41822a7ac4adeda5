"""The Redis adapters keep the semantics of their in-memory twins: one suite runs against both."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from adapters.backends import BackendUnavailable
from adapters.memory.cache import MemoryCache
from adapters.memory.carts import MemoryCartRepository
from adapters.memory.sessions import MemoryRateLimiter, MemoryRefreshTokenStore
from adapters.redis.cache import RedisCache
from adapters.redis.carts import RedisCartRepository
from adapters.redis.connection import create_redis
from adapters.redis.sessions import RedisRateLimiter, RedisRefreshTokenStore
from commerce_core.cart.model import Cart
from commerce_core.catalog.search import SearchResult
from commerce_core.identity.sessions import RateDecision, RefreshRecord

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
SIGNING_KEY = b"k" * 32

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(kind: str, request: pytest.FixtureRequest) -> Callable[[type, type], Any]:
    def build(memory_cls: type, redis_cls: type) -> Any:
        if kind == "memory":
            return memory_cls()
        client: aioredis.Redis = request.getfixturevalue("redis_client")
        prefix: str = request.getfixturevalue("redis_prefix")
        return redis_cls(client, prefix=prefix)

    return build


# -- carts -------------------------------------------------------------------------------------


@pytest.fixture
def carts(make: Callable[[type, type], Any]) -> Any:
    return make(MemoryCartRepository, RedisCartRepository)


async def test_an_unknown_customer_has_an_empty_cart(carts: Any) -> None:
    cart = await carts.get("nobody")
    assert cart.user_id == "nobody"
    assert cart.lines == {}


async def test_a_saved_cart_comes_back_whole(carts: Any) -> None:
    await carts.save(Cart("u1", {"p1": 2, "p2": 5}, NOW))
    cart = await carts.get("u1")
    assert cart.lines == {"p1": 2, "p2": 5}
    assert cart.updated_at == NOW


async def test_save_replaces_the_cart_and_an_empty_one_is_removed(carts: Any) -> None:
    await carts.save(Cart("u1", {"p1": 2, "p2": 5}, NOW))
    await carts.save(Cart("u1", {"p3": 1}, NOW + timedelta(minutes=1)))
    assert (await carts.get("u1")).lines == {"p3": 1}
    await carts.save(Cart("u1", {}, NOW))
    assert (await carts.get("u1")).lines == {}


async def test_a_cart_read_is_a_copy(carts: Any) -> None:
    await carts.save(Cart("u1", {"p1": 1}, NOW))
    cart = await carts.get("u1")
    cart.lines["p2"] = 3
    assert (await carts.get("u1")).lines == {"p1": 1}


async def test_clear_and_customers_are_apart(carts: Any) -> None:
    await carts.save(Cart("u1", {"p1": 1}, NOW))
    await carts.save(Cart("u2", {"p1": 4}, NOW))
    await carts.clear("u1")
    await carts.clear("never-had-one")
    assert (await carts.get("u1")).lines == {}
    assert (await carts.get("u2")).lines == {"p1": 4}


async def test_redis_cart_expires_after_idle_time(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    carts = RedisCartRepository(redis_client, prefix=redis_prefix)
    await carts.save(Cart("u1", {"p1": 1}, NOW))
    ttl = await redis_client.ttl(f"{redis_prefix}cart:u1")
    assert 29 * 86400 < ttl <= 30 * 86400


# -- refresh tokens ----------------------------------------------------------------------------


@pytest.fixture
def tokens(make: Callable[[type, type], Any]) -> Any:
    return make(MemoryRefreshTokenStore, RedisRefreshTokenStore)


def a_record(token_hash: str, family: str = "f1") -> RefreshRecord:
    return RefreshRecord(token_hash, "u1", family, datetime.now(UTC) + timedelta(days=30))


async def test_spend_returns_the_record_as_it_was_then_marks_it_spent(tokens: Any) -> None:
    await tokens.add(a_record("h1"))
    first = await tokens.spend("h1")
    second = await tokens.spend("h1")
    assert first is not None
    assert (first.user_id, first.family_id, first.spent) == ("u1", "f1", False)
    assert second is not None
    assert second.spent is True


async def test_spending_an_unknown_token_gives_none(tokens: Any) -> None:
    assert await tokens.spend("nope") is None


async def test_of_racing_spends_exactly_one_sees_the_token_unspent(tokens: Any) -> None:
    await tokens.add(a_record("h1"))
    records = await asyncio.gather(*(tokens.spend("h1") for _ in range(20)))
    assert sum(1 for r in records if not r.spent) == 1


async def test_revoke_family_revokes_every_token_of_it_and_no_other(tokens: Any) -> None:
    await tokens.add(a_record("h1"))
    await tokens.add(a_record("h2"))
    await tokens.add(a_record("h3", family="f2"))
    await tokens.revoke_family("f1")
    await tokens.revoke_family("unknown")
    assert (await tokens.spend("h1")).revoked
    assert (await tokens.spend("h2")).revoked
    assert not (await tokens.spend("h3")).revoked


# -- rate limiter ------------------------------------------------------------------------------


@pytest.fixture
def limiter(make: Callable[[type, type], Any]) -> Any:
    return make(MemoryRateLimiter, RedisRateLimiter)


async def test_the_limit_refuses_past_it_within_the_window(limiter: Any) -> None:
    window = timedelta(minutes=1)
    decisions = [
        await limiter.hit("k", limit=3, window=window, now=NOW + timedelta(seconds=i))
        for i in range(4)
    ]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    # The oldest attempt (at +0 s) leaves the window at +60 s; asked at +3 s: 57 s to wait.
    assert decisions[3] == RateDecision(False, 57)


async def test_the_window_slides(limiter: Any) -> None:
    window = timedelta(seconds=10)
    for i in range(3):
        await limiter.hit("k", limit=3, window=window, now=NOW + timedelta(seconds=i))
    late = await limiter.hit("k", limit=3, window=window, now=NOW + timedelta(seconds=9))
    assert not late.allowed
    assert (
        await limiter.hit("k", limit=3, window=window, now=NOW + timedelta(seconds=10))
    ).allowed
    assert not (
        await limiter.hit("k", limit=3, window=window, now=NOW + timedelta(seconds=10))
    ).allowed


async def test_reset_and_keys_are_apart(limiter: Any) -> None:
    window = timedelta(minutes=1)
    for _ in range(2):
        await limiter.hit("a", limit=2, window=window, now=NOW)
    assert not (await limiter.hit("a", limit=2, window=window, now=NOW)).allowed
    assert (await limiter.hit("b", limit=2, window=window, now=NOW)).allowed
    await limiter.reset("a")
    assert (await limiter.hit("a", limit=2, window=window, now=NOW)).allowed


async def test_racing_hits_never_let_more_than_the_limit_through(limiter: Any) -> None:
    window = timedelta(minutes=1)
    decisions = await asyncio.gather(
        *(limiter.hit("k", limit=5, window=window, now=NOW) for _ in range(30))
    )
    assert sum(d.allowed for d in decisions) == 5


# -- cache -------------------------------------------------------------------------------------


@pytest.fixture
def cache(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "memory":
        return MemoryCache()
    client: aioredis.Redis = request.getfixturevalue("redis_client")
    return RedisCache(
        client, signing_key=SIGNING_KEY, prefix=request.getfixturevalue("redis_prefix")
    )


async def test_cache_returns_what_was_set_and_none_for_a_miss(cache: Any) -> None:
    result = SearchResult(ids=("p1", "p2"), total=2, facets={"books": 2})
    await cache.set("search:abc", result, ttl_s=60)
    assert await cache.get("search:abc") == result
    assert await cache.get("search:other") is None


async def test_cache_entries_expire(cache: Any) -> None:
    await cache.set("product:p1", {"name": "x"}, ttl_s=0.05)
    await asyncio.sleep(0.1)
    assert await cache.get("product:p1") is None


async def test_cache_delete_and_delete_prefix(cache: Any) -> None:
    for key in ("product:p1", "product:p2", "search:a", "search:b", "searchx"):
        await cache.set(key, key.upper(), ttl_s=60)
    await cache.delete("product:p1")
    await cache.delete("never-set")
    await cache.delete_prefix("search:")
    await cache.delete_prefix("nothing:")
    assert await cache.get("product:p1") is None
    assert await cache.get("product:p2") == "PRODUCT:P2"
    assert await cache.get("search:a") is None
    assert await cache.get("search:b") is None
    assert await cache.get("searchx") == "SEARCHX"


async def test_a_down_redis_cache_is_a_miss_but_an_invalidation_fails_loudly() -> None:
    client = create_redis("redis://127.0.0.1:1/0", timeout_s=0.2)
    try:
        cache = RedisCache(client, signing_key=SIGNING_KEY, prefix="down:")
        await cache.set("k", 1, ttl_s=60)
        assert await cache.get("k") is None
        with pytest.raises(BackendUnavailable):
            await cache.delete("k")
        with pytest.raises(BackendUnavailable):
            await RedisCartRepository(client).get("u1")
    finally:
        await client.aclose()


async def test_a_cache_entry_not_signed_with_our_key_is_a_miss_and_never_unpickled(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    ours = RedisCache(redis_client, signing_key=SIGNING_KEY, prefix=redis_prefix)
    await ours.set("product:1", {"name": "Lamp"}, ttl_s=60)
    assert await ours.get("product:1") == {"name": "Lamp"}

    # Another writer of the same Redis (a different key): its values are not trusted.
    forger = RedisCache(redis_client, signing_key=b"x" * 32, prefix=redis_prefix)
    await forger.set("product:1", {"name": "Evil"}, ttl_s=60)
    assert await ours.get("product:1") is None
