import pytest

from adapters.memory.outbox import MemoryOutbox
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.catalog.model import Product
from commerce_core.identity.events import UserRegistered
from commerce_core.identity.model import Email, Role, User
from commerce_core.inventory.events import StockUpdated
from commerce_core.inventory.model import MovementReason, Stock
from commerce_core.shared.errors import (
    ConcurrencyConflict,
    DuplicateSku,
    EmailTaken,
    InsufficientStock,
)
from commerce_core.shared.money import Money
from commerce_core.shared.unit_of_work import AlreadyProcessed


@pytest.fixture
def store():
    return MemoryStore()


def _uow(store):
    return MemoryUnitOfWork(store)


def _user(clock, user_id="u1", email="ana@example.com"):
    return User.register(user_id=user_id, email=Email(email), name="Ana", password_hash="h",
                         role=Role.CUSTOMER, now=clock.now())


def _product(clock, product_id="p1", sku="SKU-1"):
    return Product.create(product_id=product_id, sku=sku, name="Lamp", description="",
                          category="home", price=Money.of("5", "EUR"), initial_stock=5,
                          low_stock_threshold=1, now=clock.now())


async def _seed(store, *aggregates):
    uow = _uow(store)
    async with uow:
        for aggregate in aggregates:
            repository = {User: uow.users, Product: uow.products, Stock: uow.stock}[
                type(aggregate)
            ]
            repository.add(aggregate)
        await uow.commit()
    store.outbox.clear()


async def _stock(store, clock, on_hand=5):
    await _seed(store, Stock.open("p1", initial=on_hand, low_stock_threshold=0, now=clock.now()))


# -- commit and rollback -----------------------------------------------------------------------


async def test_without_commit_nothing_is_stored_and_no_event_leaves(store, clock):
    uow = _uow(store)

    async with uow:
        uow.users.add(_user(clock))

    assert store.users == {}
    assert store.user_ids_by_email == {}
    assert store.outbox == {}
    assert uow.collect_new_events() == []


async def test_an_exception_rolls_back(store, clock):
    uow = _uow(store)

    async def fails_after_adding():
        async with uow:
            uow.users.add(_user(clock))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fails_after_adding()

    assert store.users == {}
    assert store.outbox == {}


async def test_explicit_rollback_discards_the_changes(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        product = await uow.products.get("p1")
        product.update(now=clock.now(), name="Changed")
        await uow.rollback()

    assert store.products["p1"].name == "Lamp"
    assert store.outbox == {}


async def test_commit_stores_the_aggregate_and_its_events_in_the_outbox_together(store, clock):
    uow = _uow(store)

    async with uow:
        user = _user(clock)
        uow.users.add(user)
        assert store.outbox == {}  # nothing before the commit
        await uow.commit()

    assert store.users["u1"].email == "ana@example.com"
    assert store.user_ids_by_email == {"ana@example.com": "u1"}
    [row] = store.outbox.values()
    assert isinstance(row.event, UserRegistered)
    assert list(store.outbox) == [row.event.message_id]
    assert [e.message_id for e in uow.collect_new_events()] == [row.event.message_id]
    assert uow.collect_new_events() == []  # handed out once
    assert user.pending_events == ()
    assert await MemoryOutbox(store).backlog() == 1


async def test_commit_bumps_the_version_of_changed_aggregates_only(store, clock):
    await _seed(store, _product(clock), _user(clock))
    uow = _uow(store)

    async with uow:
        (await uow.products.get("p1")).update(now=clock.now(), name="New")
        await uow.users.get("u1")  # read, not changed
        await uow.commit()

    assert (store.products["p1"].version, store.users["u1"].version) == (2, 1)
    assert [type(r.event) for r in store.outbox.values()] == [ProductUpdated]


async def test_a_transaction_works_on_private_copies(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        product = await uow.products.get("p1")
        product.name = "Scribbled"
        assert await uow.products.get("p1") is product  # one object per key per transaction
        async with _uow(store) as other:
            assert (await other.products.get("p1")).name == "Lamp"

    assert store.products["p1"].name == "Lamp"


async def test_a_committed_change_is_stored_apart_from_the_private_copy(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        product = await uow.products.get("p1")
        product.stock_available = 3  # a change that records no event
        await uow.commit()
        product.stock_available = 2  # after the commit: stays private
        product.name = "Scribbled"

    stored = store.products["p1"]
    assert (stored.stock_available, stored.name, stored.version) == (3, "Lamp", 2)
    assert stored is not product
    assert "_events" not in vars(stored)
    async with _uow(store) as other:
        again = await other.products.get("p1")
        again.stock_available = 1
        assert store.products["p1"].stock_available == 3  # the copy is not the stored row
        await other.commit()
    assert (store.products["p1"].stock_available, store.products["p1"].version) == (1, 3)


async def test_a_transient_attribute_alone_is_no_change(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        product = await uow.products.get("p1")
        product.pull_events()  # leaves an empty (transient) event list behind
        await uow.commit()

    assert store.products["p1"].version == 1
    assert "_events" not in vars(store.products["p1"])


async def test_after_a_rollback_a_read_sees_the_store_again(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        product = await uow.products.get("p1")
        product.name = "Scribbled"
        await uow.rollback()
        again = await uow.products.get("p1")
        assert again is not product
        assert again.name == "Lamp"
        await uow.commit()

    assert (store.products["p1"].name, store.products["p1"].version) == ("Lamp", 1)


async def test_adding_a_new_row_under_a_key_read_before_is_a_concurrency_conflict(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        await uow.products.get("p1")
        uow.products.add(_product(clock, sku="OTHER"))
        with pytest.raises(ConcurrencyConflict):
            await uow.commit()

    assert store.products["p1"].sku == "SKU-1"


async def test_commits_in_steps_write_each_change_once(store, clock):
    await _seed(store, _product(clock))
    uow = _uow(store)

    async with uow:
        product = await uow.products.get("p1")
        product.update(now=clock.now(), name="First")
        await uow.commit()
        await uow.commit()  # nothing changed since
        product.update(now=clock.now(), name="Second")
        await uow.commit()

    assert (store.products["p1"].name, store.products["p1"].version) == ("Second", 3)
    assert [e.name for e in (r.event for r in store.outbox.values())] == ["First", "Second"]


async def test_a_unit_of_work_can_be_entered_again_after_a_commit(store, clock):
    uow = _uow(store)
    async with uow:
        uow.products.add(_product(clock))
        await uow.commit()

    async with uow:
        (await uow.products.get("p1")).update(now=clock.now(), name="Second")
        await uow.commit()

    assert store.products["p1"].name == "Second"
    assert [type(e) for e in uow.collect_new_events()] == [ProductCreated, ProductUpdated]


# -- optimistic concurrency and unique keys ----------------------------------------------------


async def test_a_stale_write_is_a_concurrency_conflict(store, clock):
    await _seed(store, _product(clock))
    first, second = _uow(store), _uow(store)

    async with first, second:
        mine = await first.products.get("p1")
        theirs = await second.products.get("p1")
        theirs.update(now=clock.now(), name="Theirs")
        await second.commit()
        mine.update(now=clock.now(), name="Mine")
        with pytest.raises(ConcurrencyConflict) as caught:
            await first.commit()

    assert caught.value.code == "concurrency_conflict"
    assert (store.products["p1"].name, store.products["p1"].version) == ("Theirs", 2)
    assert [e.name for e in (r.event for r in store.outbox.values())] == ["Theirs"]
    assert first.collect_new_events() == []


async def test_the_same_key_created_twice_is_a_concurrency_conflict(store, clock):
    first, second = _uow(store), _uow(store)

    async with first, second:
        first.products.add(_product(clock, sku="A"))
        second.products.add(_product(clock, sku="B"))
        await first.commit()
        with pytest.raises(ConcurrencyConflict):
            await second.commit()

    assert store.products["p1"].sku == "A"


async def test_a_racing_registration_of_the_same_email_is_email_taken(store, clock):
    first, second = _uow(store), _uow(store)

    async with first, second:
        first.users.add(_user(clock, "u1"))
        second.users.add(_user(clock, "u2"))
        await first.commit()
        with pytest.raises(EmailTaken):
            await second.commit()

    assert list(store.users) == ["u1"]


async def test_a_racing_create_of_the_same_sku_is_duplicate_sku(store, clock):
    first, second = _uow(store), _uow(store)

    async with first, second:
        first.products.add(_product(clock, "p1", sku="SAME"))
        second.products.add(_product(clock, "p2", sku="SAME"))
        await first.commit()
        with pytest.raises(DuplicateSku):
            await second.commit()

    assert list(store.products) == ["p1"]


# -- the stock guard ---------------------------------------------------------------------------


async def test_the_stock_guard_refuses_an_oversell_by_two_transactions(store, clock):
    await _stock(store, clock, on_hand=5)
    first, second = _uow(store), _uow(store)

    async with first, second:
        a = await first.stock.get("p1")
        b = await second.stock.get("p1")
        a.reserve(4, "o1", clock.now())
        b.reserve(4, "o2", clock.now())  # each saw 5 available
        await first.commit()
        with pytest.raises(InsufficientStock):
            await second.commit()

    stored = store.stock["p1"]
    assert (stored.on_hand, stored.reserved, stored.available) == (5, 4, 1)
    assert [m.reference for m in store.movements["p1"]] == ["initial stock", "o1"]
    assert [type(r.event) for r in store.outbox.values()] == [StockUpdated]


async def test_two_transactions_that_fit_both_apply_their_deltas(store, clock):
    await _stock(store, clock, on_hand=5)
    first, second = _uow(store), _uow(store)

    async with first, second:
        (await first.stock.get("p1")).reserve(2, "o1", clock.now())
        (await second.stock.get("p1")).reserve(3, "o2", clock.now())
        await first.commit()
        await second.commit()  # no lost update: deltas, not the stale figure, are applied

    stored = store.stock["p1"]
    assert (stored.on_hand, stored.reserved, stored.available, stored.version) == (5, 5, 0, 3)
    assert sum(m.delta_reserved for m in store.movements["p1"]) == 5


async def test_the_stock_guard_refuses_a_negative_reserved(store, clock):
    await _stock(store, clock, on_hand=5)
    uow = _uow(store)

    async with uow:
        (await uow.stock.get("p1")).release(1, "o1", clock.now(), expired=False)
        with pytest.raises(InsufficientStock):
            await uow.commit()

    assert store.stock["p1"].reserved == 0
    assert len(store.movements["p1"]) == 1


async def test_a_committed_stock_reports_the_stored_figures(store, clock):
    await _stock(store, clock, on_hand=5)
    first, second = _uow(store), _uow(store)

    async with first, second:
        (await first.stock.get("p1")).reserve(2, "o1", clock.now())
        mine = await second.stock.get("p1")
        mine.adjust(10, MovementReason.SUPPLIER, None, clock.now())
        await first.commit()
        await second.commit()

    assert (mine.on_hand, mine.reserved, mine.version) == (15, 2, 3)
    updates = [r.event for r in store.outbox.values() if isinstance(r.event, StockUpdated)]
    assert [(u.available, u.stock_version) for u in updates] == [(3, 2), (13, 3)]


# -- the inbox ---------------------------------------------------------------------------------


async def test_a_commit_records_the_handled_message_in_the_inbox(store, clock):
    uow = _uow(store)
    uow.handling("consumer", "m1")

    async with uow:
        uow.users.add(_user(clock))
        await uow.commit()

    assert ("consumer", "m1") in store.inbox


async def test_a_message_already_in_the_inbox_raises_already_processed(store, clock):
    store.inbox.add(("consumer", "m1"))
    uow = _uow(store)
    uow.handling("consumer", "m1")
    entered = []

    async def handle_again():
        async with uow:
            entered.append(True)

    with pytest.raises(AlreadyProcessed):
        await handle_again()
    assert entered == []  # refused on entry, before the handler's body ran


async def test_the_inbox_is_per_consumer(store, clock):
    store.inbox.add(("someone-else", "m1"))
    uow = _uow(store)
    uow.handling("consumer", "m1")

    async with uow:
        uow.users.add(_user(clock))
        await uow.commit()

    assert "u1" in store.users


async def test_of_two_concurrent_deliveries_only_the_first_commit_counts(store, clock):
    first, second = _uow(store), _uow(store)
    first.handling("consumer", "m1")
    second.handling("consumer", "m1")

    async with first, second:
        first.users.add(_user(clock, "u1", "one@example.com"))
        second.users.add(_user(clock, "u2", "two@example.com"))
        await first.commit()
        with pytest.raises(AlreadyProcessed):
            await second.commit()

    assert list(store.users) == ["u1"]
    assert len(store.outbox) == 1


async def test_a_rolled_back_handling_leaves_no_inbox_row(store, clock):
    uow = _uow(store)
    uow.handling("consumer", "m1")

    async with uow:
        uow.users.add(_user(clock))

    assert store.inbox == set()
    retry = _uow(store)
    retry.handling("consumer", "m1")
    async with retry:
        retry.users.add(_user(clock))
        await retry.commit()
    assert ("consumer", "m1") in store.inbox


async def test_one_handling_may_commit_several_times(store, clock):
    uow = _uow(store)
    uow.handling("consumer", "m1")

    async with uow:
        uow.users.add(_user(clock))
        await uow.commit()
    async with uow:  # the handler's second transaction: the inbox check is not repeated
        uow.products.add(_product(clock))
        await uow.commit()

    assert ("consumer", "m1") in store.inbox
    assert (next(iter(store.users)), next(iter(store.products))) == ("u1", "p1")


# -- reuse by a later handler call ---------------------------------------------------------------


async def test_a_reset_unit_of_work_is_bound_to_no_message(store, clock):
    uow = _uow(store)
    uow.handling("consumer", "m1")
    async with uow:
        uow.users.add(_user(clock))
        await uow.commit()
    uow.collect_new_events()

    assert uow.reset() is True
    async with uow:  # no inbox check: the message that is in the inbox now is not its own
        uow.products.add(_product(clock))
        await uow.commit()

    assert store.inbox == {("consumer", "m1")}
    assert "p1" in store.products


async def test_a_unit_of_work_with_uncollected_events_is_not_reset(store, clock):
    uow = _uow(store)
    async with uow:
        uow.users.add(_user(clock))
        await uow.commit()

    assert uow.reset() is False
    assert [type(e) for e in uow.collect_new_events()] == [UserRegistered]
    assert uow.reset() is True


async def test_a_reused_unit_of_work_reads_afresh_and_writes_only_its_own_changes(store, clock):
    await _seed(store, _product(clock), _user(clock))
    uow = _uow(store)
    async with uow:
        earlier = await uow.products.get("p1")
        await uow.users.get("u1")
        await uow.commit()
    uow.reset()

    earlier.update(now=clock.now(), name="Changed after its transaction")
    async with uow:  # the same two repositories, used in the other order
        (await uow.users.get("u1")).promote_to_admin()
        assert (await uow.products.get("p1")).name == "Lamp"  # read afresh, not the old copy
        await uow.commit()

    assert store.products["p1"].name == "Lamp"
    assert store.users["u1"].role is Role.ADMIN


class _Row:
    """A plain class for public_state alone: its attributes are whatever a test sets."""


def test_public_state_is_a_copy_without_the_transient_attributes():
    from adapters.memory.repositories import public_state

    row = _Row()
    row.id, row.name, row._events = "r1", "Lamp", ["an event"]
    state = public_state(row)
    assert state == {"id": "r1", "name": "Lamp"}
    state["name"] = "changed"
    assert row.name == "Lamp"
    assert row._events == ["an event"]


def test_public_state_keeps_a_public_attribute_that_instances_met_before_lacked():
    from adapters.memory.repositories import public_state

    first = _Row()
    first.id = "r1"
    assert public_state(first) == {"id": "r1"}
    later = _Row()
    later.id, later.note, later._pending = "r2", "new", 1
    assert public_state(later) == {"id": "r2", "note": "new"}
    assert public_state(first) == {"id": "r1"}
