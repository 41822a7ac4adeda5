"""The Idempotency-Key store and the refresh-token store, on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from helpers import NOW

from commerce_core.identity.sessions import RefreshRecord
from commerce_core.ordering.idempotency import StoredResponse
from entrypoints.embedded import Shop

# -- idempotency keys --------------------------------------------------------------------------


async def test_the_first_claim_owns_the_key_and_later_ones_see_it_in_flight(shop: Shop) -> None:
    store = shop.container.idempotency()
    assert await store.claim("u-1", "k-1", "fp-a", NOW) is None
    record = await store.claim("u-1", "k-1", "fp-b", NOW + timedelta(seconds=1))
    assert record is not None
    assert (record.user_id, record.key, record.fingerprint, record.created_at) == (
        "u-1", "k-1", "fp-a", NOW)
    assert record.in_flight


async def test_keys_are_scoped_to_their_user(shop: Shop) -> None:
    store = shop.container.idempotency()
    assert await store.claim("u-1", "same", "fp", NOW) is None
    assert await store.claim("u-2", "same", "fp", NOW) is None


async def test_a_completed_key_replays_its_response(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-2", "fp", NOW)
    response = StoredResponse(201, b'{"id": "o-1"}', "/orders/o-1")
    await store.complete("u-1", "k-2", response)
    await store.release("u-1", "k-2")  # too late: a completed key stays
    record = await store.claim("u-1", "k-2", "fp", NOW)
    assert record is not None
    assert not record.in_flight
    assert record.response == response
    await store.complete("u-9", "unknown", response)  # nothing to complete: no error


async def test_a_released_claim_can_be_claimed_again(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-3", "fp", NOW)
    await store.release("u-1", "k-3")
    assert await store.claim("u-1", "k-3", "fp-2", NOW) is None


async def test_racing_claims_have_exactly_one_owner(shop: Shop) -> None:
    store = shop.container.idempotency()
    results = await asyncio.gather(*(store.claim("u-1", "k-race", f"fp{i}", NOW)
                                     for i in range(10)))
    owners = [r for r in results if r is None]
    assert len(owners) == 1
    assert len({r.fingerprint for r in results if r is not None}) == 1


async def test_an_abandoned_claim_is_taken_over_once_its_lease_has_run_out(shop: Shop) -> None:
    store = shop.container.idempotency()
    lease = shop.container.settings().idempotency_lease
    assert lease == timedelta(seconds=60)
    assert await store.claim("u-1", "k-dead", "fp-a", NOW) is None  # and its process dies
    held = await store.claim("u-1", "k-dead", "fp-a", NOW + lease - timedelta(microseconds=1))
    assert held is not None
    assert (held.fingerprint, held.created_at, held.in_flight) == ("fp-a", NOW, True)
    assert await store.claim("u-1", "k-dead", "fp-b", NOW + lease) is None  # taken over
    later = await store.claim("u-1", "k-dead", "fp-a", NOW + lease + timedelta(seconds=1))
    assert later is not None
    assert (later.fingerprint, later.created_at, later.in_flight) == ("fp-b", NOW + lease, True)
    response = StoredResponse(201, b"{}", "/orders/o-1")
    await store.complete("u-1", "k-dead", response)
    kept = await store.claim("u-1", "k-dead", "fp-b", NOW + timedelta(days=30))
    assert kept is not None
    assert kept.response == response  # a completed key is no lease: it replays for good


async def test_racing_takeovers_of_an_abandoned_claim_have_exactly_one_owner(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-stale", "fp-old", NOW)
    later = NOW + timedelta(minutes=5)
    results = await asyncio.gather(
        *(store.claim("u-1", "k-stale", f"fp{i}", later) for i in range(10))
    )
    assert sum(r is None for r in results) == 1
    seen = {(r.fingerprint, r.created_at) for r in results if r is not None}
    assert len(seen) == 1
    ((fingerprint, claimed_at),) = seen
    assert fingerprint != "fp-old"
    assert claimed_at == later


# -- refresh tokens ----------------------------------------------------------------------------


def _record(token_hash: str, family: str = "f-1") -> RefreshRecord:
    return RefreshRecord(token_hash, "u-1", family, NOW + timedelta(days=30))


async def test_spending_returns_the_token_as_it_was(shop: Shop) -> None:
    tokens = shop.container.refresh_tokens()
    await tokens.add(_record("h-1"))
    first = await tokens.spend("h-1")
    assert first == _record("h-1")
    second = await tokens.spend("h-1")
    assert second is not None
    assert second.spent
    assert not second.revoked
    assert await tokens.spend("h-unknown") is None


async def test_revoking_a_family_revokes_every_token_of_it(shop: Shop) -> None:
    tokens = shop.container.refresh_tokens()
    for token_hash, family in (("h-a", "f-1"), ("h-b", "f-1"), ("h-c", "f-2")):
        await tokens.add(_record(token_hash, family))
    await tokens.spend("h-a")
    await tokens.revoke_family("f-1")
    spent_revoked = await tokens.spend("h-a")
    revoked = await tokens.spend("h-b")
    untouched = await tokens.spend("h-c")
    assert spent_revoked is not None
    assert spent_revoked.spent
    assert spent_revoked.revoked
    assert revoked is not None
    assert revoked.revoked
    assert not revoked.spent
    assert untouched is not None
    assert not untouched.revoked


async def test_of_racing_spends_exactly_one_sees_the_token_unspent(shop: Shop) -> None:
    tokens = shop.container.refresh_tokens()
    await tokens.add(_record("h-race"))
    results = await asyncio.gather(*(tokens.spend("h-race") for _ in range(10)))
    assert [r is not None and not r.spent for r in results].count(True) == 1
