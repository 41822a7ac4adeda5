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
    assert await store.claim("u-1", "k-1", "fp-a", NOW, claim_id="a") is None
    record = await store.claim("u-1", "k-1", "fp-b", NOW + timedelta(seconds=1), claim_id="b")
    assert record is not None
    assert (record.user_id, record.key, record.fingerprint, record.created_at) == (
        "u-1", "k-1", "fp-a", NOW)
    assert record.in_flight
    assert record.claim_id == "a"


async def test_keys_are_scoped_to_their_user(shop: Shop) -> None:
    store = shop.container.idempotency()
    assert await store.claim("u-1", "same", "fp", NOW, claim_id="a") is None
    assert await store.claim("u-2", "same", "fp", NOW, claim_id="b") is None


async def test_a_completed_key_replays_its_response(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-2", "fp", NOW, claim_id="a")
    response = StoredResponse(201, b'{"id": "o-1"}', "/orders/o-1")
    assert await store.complete("u-1", "k-2", response, claim_id="a")
    assert not await store.release("u-1", "k-2", claim_id="a")  # too late: a completed key stays
    other = StoredResponse(500, b"{}")
    assert not await store.complete("u-1", "k-2", other, claim_id="a")  # the first answer stays
    record = await store.claim("u-1", "k-2", "fp", NOW, claim_id="b")
    assert record is not None
    assert not record.in_flight
    assert record.response == response
    # nothing to complete: no error
    assert not await store.complete("u-9", "unknown", response, claim_id="a")


async def test_a_released_claim_can_be_claimed_again(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-3", "fp", NOW, claim_id="a")
    assert await store.release("u-1", "k-3", claim_id="a")
    assert await store.claim("u-1", "k-3", "fp-2", NOW, claim_id="b") is None


async def test_only_the_claim_that_owns_a_key_completes_or_releases_it(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-4", "fp", NOW, claim_id="a")
    response = StoredResponse(201, b"{}", "/orders/o-1")
    assert not await store.complete("u-1", "k-4", response, claim_id="other")
    assert not await store.release("u-1", "k-4", claim_id="other")
    held = await store.claim("u-1", "k-4", "fp", NOW, claim_id="b")
    assert held is not None
    assert (held.in_flight, held.claim_id) == (True, "a")


async def test_racing_claims_have_exactly_one_owner(shop: Shop) -> None:
    store = shop.container.idempotency()
    results = await asyncio.gather(
        *(store.claim("u-1", "k-race", f"fp{i}", NOW, claim_id=f"c{i}") for i in range(10))
    )
    owners = [r for r in results if r is None]
    assert len(owners) == 1
    assert len({(r.fingerprint, r.claim_id) for r in results if r is not None}) == 1


async def test_an_abandoned_claim_is_taken_over_once_its_lease_has_run_out(shop: Shop) -> None:
    store = shop.container.idempotency()
    lease = shop.container.settings().idempotency_lease
    assert lease == timedelta(seconds=60)
    # ... and its process dies
    assert await store.claim("u-1", "k-dead", "fp-a", NOW, claim_id="a") is None
    held = await store.claim(
        "u-1", "k-dead", "fp-a", NOW + lease - timedelta(microseconds=1), claim_id="x"
    )
    assert held is not None
    assert (held.fingerprint, held.created_at, held.in_flight) == ("fp-a", NOW, True)
    assert await store.claim("u-1", "k-dead", "fp-b", NOW + lease, claim_id="b") is None
    later = await store.claim(
        "u-1", "k-dead", "fp-a", NOW + lease + timedelta(seconds=1), claim_id="y"
    )
    assert later is not None
    assert (later.fingerprint, later.created_at, later.in_flight) == ("fp-b", NOW + lease, True)
    assert later.claim_id == "b"
    response = StoredResponse(201, b"{}", "/orders/o-1")
    assert await store.complete("u-1", "k-dead", response, claim_id="b")
    kept = await store.claim("u-1", "k-dead", "fp-b", NOW + timedelta(days=30), claim_id="z")
    assert kept is not None
    assert kept.response == response  # a completed key is no lease: it replays for good


async def test_a_claim_taken_over_while_its_request_ran_leaves_the_new_owner_alone(
    shop: Shop,
) -> None:
    store = shop.container.idempotency()
    lease = shop.container.settings().idempotency_lease
    assert await store.claim("u-1", "k-slow", "fp", NOW, claim_id="a") is None
    # A's checkout outlives the lease; the client's retry B takes the key over.
    assert await store.claim("u-1", "k-slow", "fp", NOW + lease, claim_id="b") is None

    # A fails: its release must not free B's claim for a third request.
    assert not await store.release("u-1", "k-slow", claim_id="a")
    held = await store.claim("u-1", "k-slow", "fp", NOW + lease, claim_id="c")
    assert held is not None
    assert (held.in_flight, held.claim_id, held.created_at) == (True, "b", NOW + lease)
    # ... or A succeeds: its answer is not the one the key keeps.
    a_answer = StoredResponse(201, b'{"id": "o-a"}', "/orders/o-a")
    assert not await store.complete("u-1", "k-slow", a_answer, claim_id="a")
    held = await store.claim("u-1", "k-slow", "fp", NOW + lease, claim_id="c")
    assert held is not None
    assert (held.in_flight, held.claim_id) == (True, "b")

    b_answer = StoredResponse(201, b'{"id": "o-b"}', "/orders/o-b")
    assert await store.complete("u-1", "k-slow", b_answer, claim_id="b")
    assert not await store.complete("u-1", "k-slow", a_answer, claim_id="a")  # too late as well
    assert not await store.release("u-1", "k-slow", claim_id="a")
    replay = await store.claim("u-1", "k-slow", "fp", NOW + timedelta(days=1), claim_id="d")
    assert replay is not None
    assert replay.response == b_answer


async def test_racing_takeovers_of_an_abandoned_claim_have_exactly_one_owner(shop: Shop) -> None:
    store = shop.container.idempotency()
    await store.claim("u-1", "k-stale", "fp-old", NOW, claim_id="old")
    later = NOW + timedelta(minutes=5)
    results = await asyncio.gather(
        *(store.claim("u-1", "k-stale", f"fp{i}", later, claim_id=f"c{i}") for i in range(10))
    )
    assert sum(r is None for r in results) == 1
    seen = {(r.fingerprint, r.created_at, r.claim_id) for r in results if r is not None}
    assert len(seen) == 1
    ((fingerprint, claimed_at, claim_id),) = seen
    assert fingerprint != "fp-old"
    assert claimed_at == later
    assert claim_id == f"c{fingerprint.removeprefix('fp')}"


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
