"""The repositories' contract, the same on every backend."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from helpers import NOW, a_product, a_reservation, a_stock, a_user, an_order, new_id

from commerce_core.catalog.ports import ProductFilter
from commerce_core.inventory.model import ReservationStatus
from commerce_core.notifications.model import Notification, NotificationStatus
from commerce_core.ordering.model import CancelReason, OrderStatus
from commerce_core.payments.model import Payment, PaymentStatus
from commerce_core.shared.errors import DuplicateSku, EmailTaken
from commerce_core.shared.money import Money
from entrypoints.embedded import Shop


def uow_of(shop: Shop):  # type: ignore[no-untyped-def]
    return shop.container.uow()


async def store(shop: Shop, *aggregates: object) -> None:
    async with uow_of(shop) as uow:
        for aggregate in aggregates:
            repository = {
                "User": uow.users, "Product": uow.products, "Stock": uow.stock,
                "Reservation": uow.reservations, "Order": uow.orders, "Payment": uow.payments,
                "Notification": uow.notifications,
            }[type(aggregate).__name__]
            repository.add(aggregate)
        await uow.commit()


# -- users -------------------------------------------------------------------------------------


async def test_a_user_round_trips_by_id_and_email(shop: Shop) -> None:
    user = a_user()
    await store(shop, user)
    assert user.version == 1
    async with uow_of(shop) as uow:
        by_id = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email(user.email)
        assert by_id is by_email  # one instance per key within a transaction
    assert by_id is not None
    assert (by_id.id, by_id.email, by_id.name, by_id.role, by_id.created_at, by_id.version) == (
        user.id, user.email, user.name, user.role, user.created_at, 1)
    async with uow_of(shop) as uow:
        assert await uow.users.get("nobody") is None
        assert await uow.users.get_by_email("nobody@example.com") is None


async def test_a_taken_email_is_refused_at_commit(shop: Shop) -> None:
    first = a_user("ana@example.com")
    await store(shop, first)
    with pytest.raises(EmailTaken):
        await store(shop, a_user("ana@example.com"))
    async with uow_of(shop) as uow:
        found = await uow.users.get_by_email("ana@example.com")
        assert found is not None
        assert found.id == first.id


async def test_a_change_bumps_the_version_and_sticks(shop: Shop) -> None:
    user = a_user()
    await store(shop, user)
    async with uow_of(shop) as uow:
        loaded = await uow.users.get(user.id)
        assert loaded is not None
        loaded.promote_to_admin()
        await uow.commit()
    assert loaded.version == 2
    async with uow_of(shop) as uow:
        again = await uow.users.get(user.id)
        assert again is not None
        assert again.is_admin
        assert again.version == 2


async def test_an_unchanged_aggregate_is_not_written(shop: Shop) -> None:
    user = a_user()
    await store(shop, user)
    async with uow_of(shop) as uow:
        await uow.users.get(user.id)
        await uow.commit()
    async with uow_of(shop) as uow:
        again = await uow.users.get(user.id)
        assert again is not None
        assert again.version == 1


# -- products ----------------------------------------------------------------------------------


async def test_products_by_id_sku_and_many(shop: Shop) -> None:
    one, two = a_product(name="One"), a_product(name="Two", price="0.99")
    await store(shop, one, two)
    async with uow_of(shop) as uow:
        found = await uow.products.get_many([two.id, "missing", one.id])
        assert list(found) == [two.id, one.id]
        assert found[two.id].price == Money(Decimal("0.99"), "EUR")
        by_sku = await uow.products.get_by_sku(one.sku)
        assert by_sku is found[one.id]
        assert await uow.products.get_by_sku("NOPE") is None


async def test_a_duplicate_sku_is_refused(shop: Shop) -> None:
    await store(shop, a_product(sku="DUP-1"))
    with pytest.raises(DuplicateSku):
        await store(shop, a_product(sku="DUP-1"))


async def _search(shop: Shop, **criteria: object) -> tuple[list[str], int]:
    async with uow_of(shop) as uow:
        page = await uow.products.search(ProductFilter(**criteria))  # type: ignore[arg-type]
    return [p.name for p in page.items], page.total


async def test_search_folds_case_and_accents_and_matches_word_prefixes(shop: Shop) -> None:
    await store(
        shop,
        a_product(name="Café Crème", category="Drinks", price="3.50"),
        a_product(name="Cafeteria chair", category="Furniture", price="45.00"),
        a_product(name="Teapot", description="for cafe owners", category="drinks", price="20"),
        a_product(name="Hammer", category="Tools", price="12.00", description="100% steel"),
    )
    assert await _search(shop, text="CAFE") == (["Café Crème", "Cafeteria chair", "Teapot"], 3)
    assert await _search(shop, text="cafe creme") == (["Café Crème"], 1)
    assert await _search(shop, text="eteria") == ([], 0)  # a prefix of a word, not a substring
    assert await _search(shop, text="100%") == (["Hammer"], 1)
    assert await _search(shop, text="10_") == ([], 0)
    assert await _search(shop, category="DRINKS", sort="name") == (["Café Crème", "Teapot"], 2)
    assert await _search(shop, min_price=Decimal("3.5"), max_price=Decimal("20"), sort="price") \
        == (["Café Crème", "Hammer", "Teapot"], 3)
    assert await _search(shop, min_price=Decimal("3.501"), sort="-price") == (
        ["Cafeteria chair", "Teapot", "Hammer"], 3)


async def test_search_sorts_pages_and_hides_inactive_products(shop: Shop) -> None:
    names = ["b", "A", "c", "Ä2", "d"]
    products = [
        a_product(name=n, created_at=NOW + timedelta(minutes=i)) for i, n in enumerate(names)
    ]
    products[4].deactivate(NOW)
    await store(shop, *products)
    assert await _search(shop, sort="name") == (["A", "Ä2", "b", "c"], 4)
    assert await _search(shop, sort="newest") == (["Ä2", "c", "A", "b"], 4)
    assert await _search(shop, sort="newest", offset=1, limit=2) == (["c", "A"], 4)
    assert await _search(shop, sort="relevance") == (["Ä2", "c", "A", "b"], 4)


async def test_search_ranks_name_matches_first_and_filters_stock(shop: Shop) -> None:
    in_description = a_product(name="Gadget", description="a lamp holder",
                               created_at=NOW + timedelta(minutes=1))
    in_name = a_product(name="Lamp", stock=0)
    await store(shop, in_description, in_name)
    assert await _search(shop, text="lamp") == (["Lamp", "Gadget"], 2)
    assert await _search(shop, in_stock=True) == (["Gadget"], 1)
    assert await _search(shop, in_stock=False) == (["Lamp"], 1)


# -- stock -------------------------------------------------------------------------------------


async def test_new_stock_is_stored_with_its_first_movement(shop: Shop) -> None:
    stock = a_stock("p-new", initial=7)
    await store(shop, stock)
    assert (stock.on_hand, stock.reserved, stock.version) == (7, 0, 1)
    async with uow_of(shop) as uow:
        loaded = await uow.stock.get("p-new")
        movements = await uow.stock.movements("p-new")
    assert loaded is not None
    assert (loaded.on_hand, loaded.reserved, loaded.version) == (7, 0, 1)
    assert [(m.delta_on_hand, m.delta_reserved, m.reason.value) for m in movements] == [
        (7, 0, "admin")]


async def test_stock_events_carry_the_stored_figures(shop: Shop) -> None:
    await store(shop, a_stock("p-ev", initial=10, threshold=3))
    async with uow_of(shop) as uow:
        stock = await uow.stock.get("p-ev")
        assert stock is not None
        stock.reserve(8, "o-1", NOW)
        await uow.commit()
        events = uow.collect_new_events()
    updated = [e for e in events if type(e).__name__ == "StockUpdated"]
    low = [e for e in events if type(e).__name__ == "LowStockDetected"]
    assert [(e.on_hand, e.reserved, e.available, e.stock_version) for e in updated] == [
        (10, 8, 2, 2)]
    assert [e.available for e in low] == [2]


async def test_movements_are_oldest_first_and_limited_to_the_latest(shop: Shop) -> None:
    await store(shop, a_stock("p-mv", initial=10))
    for delta in (1, 2, 3):
        async with uow_of(shop) as uow:
            stock = await uow.stock.get("p-mv")
            assert stock is not None
            stock.adjust(delta, (stock.pending_movements and None) or _reason(), None, NOW)
            await uow.commit()
    async with uow_of(shop) as uow:
        assert [m.delta_on_hand for m in await uow.stock.movements("p-mv")] == [10, 1, 2, 3]
        assert [m.delta_on_hand for m in await uow.stock.movements("p-mv", limit=2)] == [2, 3]
        stock = await uow.stock.get("p-mv")
        assert stock is not None
        assert stock.on_hand == 16
        assert stock.version == 4


def _reason():  # type: ignore[no-untyped-def]
    from commerce_core.inventory.model import MovementReason

    return MovementReason.SUPPLIER


async def test_below_threshold_lists_low_stock(shop: Shop) -> None:
    await store(shop, a_stock("p-low", initial=2, threshold=2), a_stock("p-ok", initial=9))
    async with uow_of(shop) as uow:
        assert [s.product_id for s in await uow.stock.below_threshold()] == ["p-low"]


async def test_a_threshold_change_alone_is_stored(shop: Shop) -> None:
    await store(shop, a_stock("p-th", initial=5, threshold=1))
    async with uow_of(shop) as uow:
        stock = await uow.stock.get("p-th")
        assert stock is not None
        stock.set_low_stock_threshold(4)
        await uow.commit()
    async with uow_of(shop) as uow:
        again = await uow.stock.get("p-th")
        assert again is not None
        assert again.low_stock_threshold == 4
        assert again.on_hand == 5


# -- reservations ------------------------------------------------------------------------------


async def test_reservations_round_trip_and_expire_oldest_first(shop: Shop) -> None:
    stocks = {"p-a": a_stock("p-a", 10), "p-b": a_stock("p-b", 10)}
    await store(shop, *stocks.values())
    async with uow_of(shop) as uow:
        loaded = await uow.stock.get_many(["p-a", "p-b"])
        late = a_reservation("o-late", loaded, [("p-b", 1), ("p-a", 2), ("p-b", 1)],
                             ttl=timedelta(minutes=20))
        early = a_reservation("o-early", loaded, [("p-a", 1)], ttl=timedelta(minutes=5))
        uow.reservations.add(late)
        uow.reservations.add(early)
        await uow.commit()
    async with uow_of(shop) as uow:
        got = await uow.reservations.get("o-late")
        assert got is not None
        assert [(i.product_id, i.quantity) for i in got.items] == [("p-a", 2), ("p-b", 2)]
        assert got.status is ReservationStatus.RESERVED
        assert got.expires_at == late.expires_at
        assert await uow.reservations.expired(NOW + timedelta(minutes=4), limit=10) == []
        due = await uow.reservations.expired(NOW + timedelta(hours=1), limit=10)
        assert [r.order_id for r in due] == ["o-early", "o-late"]
        assert [r.order_id for r in await uow.reservations.expired(
            NOW + timedelta(hours=1), limit=1)] == ["o-early"]
        stock_a = await uow.stock.get("p-a")
        assert stock_a is not None
        assert stock_a.reserved == 3


# -- orders ------------------------------------------------------------------------------------


async def test_an_order_round_trips_with_its_lines_in_order(shop: Shop) -> None:
    p1, p2 = a_product(name="Zeta", price="1.10"), a_product(name="Alpha", price="2.25")
    order = an_order("u-1", [(p1, 2), (p2, 1)])
    await store(shop, order)
    async with uow_of(shop) as uow:
        loaded = await uow.orders.get(order.id)
    assert loaded is not None
    assert loaded.lines == order.lines
    assert loaded.total == Money(Decimal("4.45"), "EUR")
    assert (loaded.status, loaded.payment_method, loaded.version) == (
        OrderStatus.PENDING, "tok_visa", 1)


async def test_orders_list_newest_first_with_a_total(shop: Shop) -> None:
    product = a_product()
    orders = [an_order("u-list", [(product, 1)]) for _ in range(5)]
    for order in orders:
        await store(shop, order)
    await store(shop, an_order("u-other", [(product, 1)]))
    async with uow_of(shop) as uow:
        page, total = await uow.orders.list_for_user("u-list", offset=1, limit=3)
    assert total == 5
    assert [o.id for o in page] == [o.id for o in reversed(orders)][1:4]
    assert all(len(o.lines) == 1 for o in page)


async def test_an_order_transition_is_stored(shop: Shop) -> None:
    order = an_order("u-1", [(a_product(), 1)])
    await store(shop, order)
    async with uow_of(shop) as uow:
        loaded = await uow.orders.get(order.id)
        assert loaded is not None
        loaded.cancel(NOW, CancelReason.CUSTOMER_CANCELLED)
        await uow.commit()
    async with uow_of(shop) as uow:
        again = await uow.orders.get(order.id)
    assert again is not None
    assert (again.status, again.cancel_reason, again.version) == (
        OrderStatus.CANCELLED, "customer_cancelled", 2)


# -- payments and notifications ----------------------------------------------------------------


async def test_payments_round_trip(shop: Shop) -> None:
    payment = Payment.intend(order_id="o-pay", user_id="u-1", amount=Money(Decimal("9.99"), "EUR"),
                             method_token="tok_visa", now=NOW)
    await store(shop, payment)
    async with uow_of(shop) as uow:
        loaded = await uow.payments.get("o-pay")
        assert loaded is not None
        loaded.start_charge(NOW)
        loaded.captured("ref-1", NOW)
        await uow.commit()
    async with uow_of(shop) as uow:
        again = await uow.payments.get("o-pay")
    assert again is not None
    assert (again.status, again.reference, again.amount, again.version) == (
        PaymentStatus.CAPTURED, "ref-1", Money(Decimal("9.99"), "EUR"), 2)


async def test_notifications_round_trip_and_list_per_user(shop: Shop) -> None:
    made = [
        Notification(id=new_id("n"), user_id=user, channel="email", template="t",
                     recipient="a@example.com", subject="s", body="b",
                     status=NotificationStatus.PENDING, created_at=NOW)
        for user in ("u-1", "u-2", "u-1")
    ]
    await store(shop, *made)
    async with uow_of(shop) as uow:
        first = await uow.notifications.get(made[0].id)
        assert first is not None
        first.failed("boom", now=NOW)
        await uow.commit()
    async with uow_of(shop) as uow:
        listed = await uow.notifications.for_user("u-1")
    assert [n.id for n in listed] == [made[0].id, made[2].id]
    assert (listed[0].status, listed[0].attempts, listed[0].last_error) == (
        NotificationStatus.FAILED, 1, "boom")


async def test_notifications_due_for_retry_earliest_first(shop: Shop) -> None:
    def made(user: str, minutes: int) -> Notification:
        return Notification.pending(
            notification_id=new_id("n"), user_id=user, channel="email", template="t",
            recipient="a@example.com", subject="s", body="b",
            now=NOW + timedelta(minutes=minutes),
        )

    late, early, sent = made("u-1", 30), made("u-1", 0), made("u-2", 0)
    sent.sent()
    await store(shop, late, early, sent)
    async with uow_of(shop) as uow:
        assert await uow.notifications.due_for_retry(NOW, limit=10) == []
        due = await uow.notifications.due_for_retry(NOW + timedelta(hours=2), limit=10)
        assert [n.id for n in due] == [early.id, late.id]
        first = await uow.notifications.get(early.id)
        assert first is not None
        first.failed("down", now=NOW + timedelta(hours=2), permanent=True)
        await uow.commit()
    async with uow_of(shop) as uow:
        due = await uow.notifications.due_for_retry(NOW + timedelta(days=1), limit=10)
        assert [n.id for n in due] == [late.id]
