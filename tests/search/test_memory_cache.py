from adapters.memory.cache import MemoryCache


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_value_lives_until_its_ttl() -> None:
    time = FakeTime()
    cache = MemoryCache(clock=time)
    await cache.set("product:1", "hammer", ttl_s=10)

    time.now += 9.9
    assert await cache.get("product:1") == "hammer"
    time.now += 0.1
    assert await cache.get("product:1") is None


async def test_delete_and_delete_prefix() -> None:
    cache = MemoryCache()
    for key in ("search:a", "search:b", "product:1"):
        await cache.set(key, key, ttl_s=60)

    await cache.delete_prefix("search:")
    await cache.delete("product:404")

    assert [await cache.get(k) for k in ("search:a", "search:b", "product:1")] == [
        None, None, "product:1"
    ]


async def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", 1, ttl_s=60)
    await cache.set("b", 2, ttl_s=60)
    await cache.get("a")
    await cache.set("c", 3, ttl_s=60)

    assert (await cache.get("a"), await cache.get("b"), await cache.get("c")) == (1, None, 3)
