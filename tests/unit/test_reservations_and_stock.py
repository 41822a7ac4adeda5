import itertools
from datetime import timedelta

import pytest
from factories import (
    EventLog,
    a_customer,
    a_product,
    movements_of,
    place_order,
    product_now,
    stock_of,
)

from commerce_core.inventory.commands import (
    AdjustStock,
    GetStock,
    ListLowStock,
    ListMovements,
    SetLowStockThreshold,
)
from commerce_core.inventory.events import (
    InventoryReleased,
    InventoryReserved,
    LowStockDetected,
    ReservedItem,
    StockUpdated,
)
from commerce_core.inventory.model import (
    MAX_QUANTITY,
    MovementReason,
    Reservation,
    ReservationStatus,
    Stock,
    check_quantity,
)
from commerce_core.ordering.commands import CancelOrder, ExpireReservations
from commerce_core.shared import errors
from commerce_core.shared.errors import (
    IllegalTransition,
    InsufficientStock,
    InvalidAdjustment,
    InvalidQuantity,
    StockNotFound,
)

R = ReservationStatus

# -- quantities --------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 2, 999, MAX_QUANTITY])
def test_quantities_from_1_to_1000_are_accepted(quantity):
    assert check_quantity(quantity) == quantity


@pytest.mark.parametrize("quantity", [0, -1, 1001, 10**9, True, False, 1.0, "1", None])
def test_other_quantities_are_invalid_quantity(quantity):
    with pytest.raises(InvalidQuantity) as caught:
        check_quantity(quantity)
    assert caught.value.code == "invalid_quantity"
    assert caught.value.field == "quantity"


def test_check_quantity_names_the_field_it_checked():
    with pytest.raises(InvalidQuantity) as caught:
        check_quantity(0, "items[2].quantity")
    assert caught.value.field == "items[2].quantity"


@pytest.mark.parametrize("quantity", [0, 1001])
def test_reserve_refuses_a_quantity_outside_1_to_1000(clock, quantity):
    stock = Stock("p1", 5000, 0, 5)

    with pytest.raises(InvalidQuantity):
        stock.reserve(quantity, "o1", clock.now())
    assert stock.reserved == 0


# The codes the edges map to answers; they are part of the contract and must not drift.
ERROR_CODES = [
    (errors.InvalidQuantity, "invalid_quantity", errors.InvalidInput),
    (errors.InvalidMoney, "invalid_money", errors.InvalidInput),
    (errors.CurrencyMismatch, "currency_mismatch", errors.InvalidInput),
    (errors.InvalidEmail, "invalid_email", errors.InvalidInput),
    (errors.WeakPassword, "weak_password", errors.InvalidInput),
    (errors.InvalidProduct, "invalid_product", errors.InvalidInput),
    (errors.InvalidAdjustment, "invalid_adjustment", errors.InvalidInput),
    (errors.UnknownProduct, "unknown_product", errors.NotFound),
    (errors.OrderNotFound, "order_not_found", errors.NotFound),
    (errors.UserNotFound, "user_not_found", errors.NotFound),
    (errors.CartItemNotFound, "cart_item_not_found", errors.NotFound),
    (errors.StockNotFound, "stock_not_found", errors.NotFound),
    (errors.InsufficientStock, "insufficient_stock", errors.Conflict),
    (errors.IllegalTransition, "illegal_transition", errors.Conflict),
    (errors.EmailTaken, "email_taken", errors.Conflict),
    (errors.DuplicateSku, "duplicate_sku", errors.Conflict),
    (errors.EmptyCart, "empty_cart", errors.Conflict),
    (errors.ConcurrencyConflict, "concurrency_conflict", errors.Conflict),
    (errors.ProductUnavailable, "product_unavailable", errors.Conflict),
    (errors.InvalidCredentials, "invalid_credentials", errors.Unauthorized),
    (errors.InvalidToken, "invalid_token", errors.Unauthorized),
    (errors.PermissionDenied, "permission_denied", errors.Forbidden),
]


@pytest.mark.parametrize(("error", "code", "family"), ERROR_CODES, ids=lambda v: str(v))
def test_each_error_class_carries_its_stable_code_and_family(error, code, family):
    raised = error("some detail", extra=1)

    assert error.code == raised.code == code
    assert isinstance(raised, family)
    assert raised.detail == "some detail"
    assert error().detail == error.title
    assert raised.context["extra"] == 1


def test_error_codes_are_unique():
    codes = [code for _, code, _ in ERROR_CODES]
    assert len(codes) == len(set(codes))


# -- the stock aggregate -----------------------------------------------------------------------


def _deltas(stock):
    return [(m.delta_on_hand, m.delta_reserved, m.reason) for m in stock.take_movements()]


def test_reserve_holds_units_without_touching_on_hand(clock):
    stock = Stock("p1", 10, 0, 5)

    stock.reserve(3, "o1", clock.now())

    assert (stock.on_hand, stock.reserved, stock.available) == (10, 3, 7)
    assert _deltas(stock) == [(0, 3, MovementReason.ORDER)]


def test_reserve_more_than_available_is_insufficient_stock(clock):
    stock = Stock("p1", 10, 8, 5)

    with pytest.raises(InsufficientStock) as caught:
        stock.reserve(3, "o1", clock.now())
    assert caught.value.context == {"product_id": "p1", "requested": 3, "available": 2}
    assert (stock.reserved, stock.pending_movements) == (8, ())


def test_commit_takes_units_off_the_shelf_and_keeps_available(clock):
    stock = Stock("p1", 10, 3, 5)

    stock.commit(3, "o1", clock.now())

    assert (stock.on_hand, stock.reserved, stock.available) == (7, 0, 7)
    assert _deltas(stock) == [(-3, -3, MovementReason.ORDER)]


@pytest.mark.parametrize(
    ("expired", "reason"), [(False, MovementReason.ORDER), (True, MovementReason.EXPIRY)]
)
def test_release_returns_reserved_units(clock, expired, reason):
    stock = Stock("p1", 10, 3, 5)

    stock.release(3, "o1", clock.now(), expired=expired)

    assert (stock.on_hand, stock.reserved, stock.available) == (10, 0, 10)
    assert _deltas(stock) == [(0, -3, reason)]


def test_restock_puts_committed_units_back_on_the_shelf(clock):
    stock = Stock("p1", 7, 0, 5)

    stock.restock(3, "o1", clock.now())

    assert (stock.on_hand, stock.available) == (10, 10)
    assert _deltas(stock) == [(3, 0, MovementReason.ORDER)]


@pytest.mark.parametrize("reason", ["admin", "supplier", "return", "damage"])
@pytest.mark.parametrize("delta", [4, -4])
async def test_adjustments_with_each_allowed_reason(shop, reason, delta):
    product = await a_product(shop, stock=10)

    stock = await shop.handle(
        AdjustStock(product_id=product.id, delta=delta, reason=reason, reference="ref-1")
    )

    assert (stock.on_hand, stock.available) == (10 + delta, 10 + delta)
    last = (await movements_of(shop, product.id))[-1]
    assert (last.delta_on_hand, last.delta_reserved, last.reason, last.reference) == (
        delta, 0, MovementReason(reason), "ref-1"
    )


@pytest.mark.parametrize("reason", ["theft", "", "ADMIN", "order", "expiry"])
async def test_an_adjustment_with_another_reason_is_invalid(shop, reason):
    product = await a_product(shop, stock=10)

    with pytest.raises(InvalidAdjustment) as caught:
        await shop.handle(AdjustStock(product_id=product.id, delta=1, reason=reason))
    assert caught.value.code == "invalid_adjustment"
    assert (await stock_of(shop, product.id)).on_hand == 10


@pytest.mark.parametrize(
    ("delta", "reference"), [(0, None), (True, None), (1_000_001, None), (1, "r" * 201)]
)
async def test_an_adjustment_with_a_bad_delta_or_reference_is_invalid(shop, delta, reference):
    product = await a_product(shop, stock=10)

    with pytest.raises(InvalidAdjustment):
        await shop.handle(
            AdjustStock(product_id=product.id, delta=delta, reason="admin", reference=reference)
        )
    assert len(await movements_of(shop, product.id)) == 1


async def test_an_adjustment_that_would_make_available_negative_is_insufficient_stock(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    await place_order(shop, customer, [(product, 4)], token="tok_timeout")  # 4 stay reserved

    with pytest.raises(InsufficientStock) as caught:
        await shop.handle(AdjustStock(product_id=product.id, delta=-7, reason="damage"))
    assert caught.value.code == "insufficient_stock"
    stock = await shop.handle(AdjustStock(product_id=product.id, delta=-6, reason="damage"))
    assert (stock.on_hand, stock.reserved, stock.available) == (4, 4, 0)


async def test_inventory_commands_on_an_unknown_product_are_stock_not_found(shop):
    for command in (
        AdjustStock(product_id="nope", delta=1, reason="admin"),
        SetLowStockThreshold("nope", 3),
        GetStock("nope"),
        ListMovements("nope"),
    ):
        with pytest.raises(StockNotFound):
            await shop.handle(command)


async def test_a_new_product_opens_its_stock_with_one_initial_movement(shop, clock):
    product = await a_product(shop, stock=7, low_stock_threshold=2)

    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved, stock.low_stock_threshold) == (7, 0, 2)
    [initial] = await movements_of(shop, product.id)
    assert (initial.delta_on_hand, initial.reason, initial.reference, initial.at) == (
        7, MovementReason.ADMIN, "initial stock", clock.now()
    )


async def test_a_product_without_stock_opens_an_empty_stock_without_movements(shop):
    product = await a_product(shop, stock=0)

    assert (await stock_of(shop, product.id)).on_hand == 0
    assert await movements_of(shop, product.id) == []


async def test_on_hand_always_equals_the_sum_of_the_movement_log(shop, clock, settings):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=20)
    await shop.handle(AdjustStock(product_id=product.id, delta=5, reason="supplier"))
    kept = await place_order(shop, customer, [(product, 3)])  # reserve + commit
    cancelled = await place_order(shop, customer, [(product, 2)])
    await shop.handle(CancelOrder(order_id=cancelled.id, requested_by=customer.id))  # restock
    await place_order(shop, customer, [(product, 4)], token="tok_chargeDeclined")  # release
    await place_order(shop, customer, [(product, 1)], token="tok_timeout")  # still reserved
    await shop.handle(AdjustStock(product_id=product.id, delta=-2, reason="damage"))
    await shop.handle(AdjustStock(product_id=product.id, delta=1, reason="return"))

    stock = await stock_of(shop, product.id)
    movements = await movements_of(shop, product.id)
    assert stock.on_hand == sum(m.delta_on_hand for m in movements) == 20 + 5 - 3 - 2 + 1
    assert stock.reserved == sum(m.delta_reserved for m in movements) == 1
    assert stock.available == 20
    assert {m.reference for m in movements if m.reason is MovementReason.ORDER} >= {
        kept.id, cancelled.id
    }


async def test_an_expired_reservation_is_released_with_the_expiry_reason(shop, clock, settings):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=5)
    order = await place_order(shop, customer, [(product, 2)], token="tok_timeout")

    clock.advance(settings.reservation_ttl)
    await shop.handle(ExpireReservations())

    last = (await movements_of(shop, product.id))[-1]
    assert (last.delta_on_hand, last.delta_reserved, last.reason, last.reference) == (
        0, -2, MovementReason.EXPIRY, order.id
    )
    assert (await stock_of(shop, product.id)).available == 5


async def test_list_movements_is_oldest_first_and_limited(shop):
    product = await a_product(shop, stock=1)
    for delta in (1, 2, 3):
        await shop.handle(AdjustStock(product_id=product.id, delta=delta, reason="supplier"))

    assert [m.delta_on_hand for m in await movements_of(shop, product.id)] == [1, 1, 2, 3]
    last_two = await shop.handle(ListMovements(product.id, limit=2))
    assert [m.delta_on_hand for m in last_two] == [2, 3]


# -- StockUpdated and the catalog's figure -----------------------------------------------------


async def test_stock_updated_keeps_the_catalog_figure_in_sync(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    log = EventLog(shop)

    await place_order(shop, customer, [(product, 3)], token="tok_timeout")
    assert (await product_now(shop, product.id)).stock_available == 7
    await shop.handle(AdjustStock(product_id=product.id, delta=5, reason="supplier"))

    mirrored = await product_now(shop, product.id)
    stock = await stock_of(shop, product.id)
    assert mirrored.stock_available == stock.available == 12
    assert mirrored.stock_version == stock.version
    updates = log.of(StockUpdated)
    assert [u.available for u in updates] == [7, 12]
    assert [u.stock_version for u in updates] == sorted({u.stock_version for u in updates})
    assert (updates[-1].on_hand, updates[-1].reserved) == (15, 3)


async def test_a_confirmed_order_writes_the_catalogs_product_once(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    log = EventLog(shop)
    version_before = (await product_now(shop, product.id)).version

    await place_order(shop, customer, [(product, 3)])

    reserved, committed = log.of(StockUpdated)
    assert (reserved.available, committed.available) == (7, 7)
    mirrored = await product_now(shop, product.id)
    # The commit's update carries the figure the reservation's left: nothing to write.
    assert (mirrored.stock_available, mirrored.stock_version) == (7, reserved.stock_version)
    assert mirrored.version == version_before + 1


async def test_a_late_stock_updated_does_not_overwrite_a_newer_figure(shop, clock):
    product = await a_product(shop, stock=10)
    log = EventLog(shop)
    await shop.handle(AdjustStock(product_id=product.id, delta=1, reason="supplier"))
    await shop.handle(AdjustStock(product_id=product.id, delta=1, reason="supplier"))
    older, newer = log.of(StockUpdated)

    await shop.bus.dispatch([StockUpdated(
        occurred_at=clock.now(), correlation_id=product.id, product_id=product.id,
        on_hand=11, reserved=0, available=11, stock_version=older.stock_version,
    )])

    assert newer.available == 12
    assert (await product_now(shop, product.id)).stock_available == 12


# -- LowStockDetected --------------------------------------------------------------------------


async def _adjust(shop, product, delta):
    await shop.handle(AdjustStock(product_id=product.id, delta=delta, reason="admin"))


async def test_low_stock_is_detected_when_available_crosses_the_threshold(shop):
    product = await a_product(shop, stock=8, low_stock_threshold=5)
    log = EventLog(shop)

    await _adjust(shop, product, -2)  # 6: still above
    assert log.of(LowStockDetected) == []
    await _adjust(shop, product, -1)  # 5: at the threshold counts as low

    [low] = log.of(LowStockDetected)
    assert (low.product_id, low.available, low.threshold) == (product.id, 5, 5)


async def test_low_stock_is_not_raised_again_while_staying_below(shop):
    product = await a_product(shop, stock=8, low_stock_threshold=5)
    log = EventLog(shop)

    await _adjust(shop, product, -4)  # 4: crosses
    await _adjust(shop, product, -1)  # 3: stays below
    await _adjust(shop, product, 1)  # 4: still below, going up

    assert [e.available for e in log.of(LowStockDetected)] == [4]


async def test_low_stock_is_raised_again_after_recovering_and_crossing_again(shop):
    product = await a_product(shop, stock=8, low_stock_threshold=5)
    log = EventLog(shop)

    await _adjust(shop, product, -4)  # 4: crosses
    await _adjust(shop, product, 10)  # 14: recovered
    await _adjust(shop, product, -10)  # 4: crosses again

    assert [e.available for e in log.of(LowStockDetected)] == [4, 4]


async def test_a_reservation_can_cross_the_threshold(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10, low_stock_threshold=5)
    log = EventLog(shop)

    await place_order(shop, customer, [(product, 6)])  # reserve: 4 available; commit keeps 4

    assert [e.available for e in log.of(LowStockDetected)] == [4]


@pytest.mark.parametrize(("initial", "low"), [(0, True), (3, True), (5, True), (6, False)])
async def test_a_new_stock_at_or_below_its_threshold_is_low_from_the_start(shop, initial, low):
    log = EventLog(shop)

    await a_product(shop, stock=initial, low_stock_threshold=5)

    assert bool(log.of(LowStockDetected)) is low


async def test_low_stock_threshold_can_be_changed_and_listed(shop):
    high = await a_product(shop, stock=50, low_stock_threshold=5)
    low = await a_product(shop, stock=3, low_stock_threshold=5)

    assert [s.product_id for s in await shop.handle(ListLowStock())] == [low.id]
    stock = await shop.handle(SetLowStockThreshold(high.id, 60))

    assert stock.low_stock_threshold == 60
    assert (await stock_of(shop, high.id)).low_stock_threshold == 60
    assert {s.product_id for s in await shop.handle(ListLowStock())} == {high.id, low.id}


@pytest.mark.parametrize("threshold", [-1, 1_000_001, 2.5])
async def test_a_bad_threshold_is_invalid_adjustment(shop, threshold):
    product = await a_product(shop)

    with pytest.raises(InvalidAdjustment):
        await shop.handle(SetLowStockThreshold(product.id, threshold))


# -- reservations ------------------------------------------------------------------------------


def test_hold_reserves_every_line_and_merges_repeated_products(clock):
    stocks = {"a": Stock("a", 10, 0, 0), "b": Stock("b", 10, 0, 0)}
    ttl = timedelta(minutes=15)

    reservation = Reservation.hold("o1", [("b", 1), ("a", 2), ("b", 3)], stocks,
                                   now=clock.now(), ttl=ttl)

    assert reservation.status is R.RESERVED
    assert reservation.items == (ReservedItem("a", 2), ReservedItem("b", 4))
    assert reservation.expires_at == clock.now() + ttl
    assert (stocks["a"].reserved, stocks["b"].reserved) == (2, 4)
    [event] = reservation.pull_events()
    assert isinstance(event, InventoryReserved)
    assert event.expires_at == (clock.now() + ttl).isoformat()


def test_hold_is_all_or_nothing(clock):
    stocks = {"a": Stock("a", 10, 0, 0), "b": Stock("b", 1, 0, 0)}

    with pytest.raises(InsufficientStock) as caught:
        Reservation.hold("o1", [("a", 2), ("b", 2)], stocks, now=clock.now(),
                         ttl=timedelta(minutes=15))
    assert caught.value.context["product_id"] == "b"
    assert (stocks["a"].reserved, stocks["b"].reserved) == (0, 0)
    assert stocks["a"].pending_movements == ()


def test_a_reservation_expires_only_while_active_and_past_its_deadline(clock):
    stocks = {"a": Stock("a", 10, 0, 0)}
    reservation = Reservation.hold("o1", [("a", 1)], stocks, now=clock.now(),
                                   ttl=timedelta(minutes=15))

    assert not reservation.is_expired(clock.now() + timedelta(minutes=14))
    assert reservation.is_expired(clock.now() + timedelta(minutes=15))
    reservation.commit(stocks, clock.now())
    assert not reservation.is_expired(clock.now() + timedelta(days=1))


RESERVATION_LEGAL = {
    (R.RESERVED, R.COMMITTED),
    (R.RESERVED, R.RELEASED),
    (R.COMMITTED, R.SHIPPED),
    (R.COMMITTED, R.RELEASED),
    (R.SHIPPED, R.DELIVERED),
}
RESERVATION_MOVE = {
    R.COMMITTED: lambda r, stocks, now: r.commit(stocks, now),
    R.RELEASED: lambda r, stocks, now: r.release(stocks, now, reason="order_cancelled"),
    R.SHIPPED: lambda r, stocks, now: r.ship(now),
    R.DELIVERED: lambda r, stocks, now: r.deliver(now),
}
# Figures of a stock holding 10 units of which the order took 2, by reservation status.
STOCK_BEFORE = {R.RESERVED: (10, 2)}
STOCK_AFTER = {
    (R.RESERVED, R.COMMITTED): (8, 0),
    (R.RESERVED, R.RELEASED): (10, 0),
    (R.COMMITTED, R.RELEASED): (10, 0),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(R, RESERVATION_MOVE)), ids=lambda s: s.value
)
def test_reservation_state_machine_matrix(clock, current, target):
    on_hand, reserved = STOCK_BEFORE.get(current, (8, 0))
    stocks = {"p1": Stock("p1", on_hand, reserved, 0)}
    now = clock.now()
    reservation = Reservation("o1", (ReservedItem("p1", 2),), current, now, now, now)
    clock.advance(timedelta(minutes=1))

    if (current, target) in RESERVATION_LEGAL:
        RESERVATION_MOVE[target](reservation, stocks, clock.now())
        assert reservation.status is target
        assert reservation.updated_at == clock.now()
        expected = STOCK_AFTER.get((current, target), (on_hand, reserved))
        assert (stocks["p1"].on_hand, stocks["p1"].reserved) == expected
    else:
        with pytest.raises(IllegalTransition):
            RESERVATION_MOVE[target](reservation, stocks, clock.now())
        assert reservation.status is current
        assert stocks["p1"].pending_movements == ()
        assert reservation.pull_events() == []


def test_release_announces_inventory_released_with_its_reason(clock):
    stocks = {"p1": Stock("p1", 10, 2, 0)}
    now = clock.now()
    reservation = Reservation("o1", (ReservedItem("p1", 2),), R.RESERVED, now, now, now)

    reservation.release(stocks, now, reason="expired")

    [event] = reservation.pull_events()
    assert isinstance(event, InventoryReleased)
    assert (event.order_id, event.reason, event.items) == ("o1", "expired",
                                                           (ReservedItem("p1", 2),))
    assert stocks["p1"].pending_movements[0].reason is MovementReason.EXPIRY


def test_a_failed_reservation_holds_nothing_and_cannot_move(clock):
    reservation = Reservation.failed("o1", reason="out_of_stock", product_id="p1",
                                     now=clock.now())

    assert reservation.status is R.FAILED
    assert not reservation.is_active
    assert reservation.items == ()
    [event] = reservation.pull_events()
    assert (event.reason, event.product_id) == ("out_of_stock", "p1")
