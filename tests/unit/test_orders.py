import itertools
from datetime import timedelta

import pytest
from factories import (
    EventLog,
    a_customer,
    a_product,
    gateway,
    order_now,
    place_order,
    stock_of,
)

from commerce_core.cart.commands import AddToCart, GetCart
from commerce_core.catalog.commands import DeactivateProduct
from commerce_core.inventory.model import ReservationStatus
from commerce_core.ordering.commands import (
    CancelOrder,
    Checkout,
    DeliverOrder,
    ExpireReservations,
    GetOrder,
    ListOrders,
    ShipOrder,
)
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderShipped,
)
from commerce_core.ordering.model import CancelReason, Order, OrderLine, OrderStatus
from commerce_core.shared.errors import (
    CurrencyMismatch,
    EmptyCart,
    IllegalTransition,
    InvalidInput,
    OrderNotFound,
    ProductUnavailable,
)
from commerce_core.shared.money import Money

S = OrderStatus
# The state machine of CONTRACT.md, written out independently of the code under test.
LEGAL = {
    (S.PENDING, S.CONFIRMED),
    (S.PENDING, S.CANCELLED),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
}
MOVE = {
    S.CONFIRMED: lambda order, now: order.confirm(now),
    S.SHIPPED: lambda order, now: order.ship(now),
    S.DELIVERED: lambda order, now: order.deliver(now),
    S.CANCELLED: lambda order, now: order.cancel(now, CancelReason.CUSTOMER_CANCELLED),
}
EVENT_OF = {
    S.CONFIRMED: OrderConfirmed,
    S.SHIPPED: OrderShipped,
    S.DELIVERED: OrderDelivered,
    S.CANCELLED: OrderCancelled,
}


def _line(product_id="p1", quantity=1, price="10.00", currency="EUR"):
    return OrderLine(product_id, f"SKU-{product_id}", f"Name {product_id}", quantity,
                     Money.of(price, currency))


def _order(clock, status=S.PENDING, lines=None):
    order = Order.place(
        order_id="o1", user_id="u1", lines=lines or [_line()], payment_method="tok_visa",
        now=clock.now(),
    )
    order.pull_events()
    order.status = status
    return order


# -- the order aggregate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(OrderStatus, OrderStatus)),
    ids=lambda s: s.value,
)
def test_order_state_machine_matrix(clock, current, target):
    order = _order(clock, current)
    clock.advance(timedelta(minutes=1))

    assert order.can_move_to(target) is ((current, target) in LEGAL)
    if target not in MOVE:
        return  # nothing ever moves an order back to PENDING
    if (current, target) in LEGAL:
        MOVE[target](order, clock.now())
        assert order.status is target
        assert order.updated_at == clock.now()
        [event] = order.pull_events()
        assert isinstance(event, EVENT_OF[target])
        assert (event.order_id, event.correlation_id) == ("o1", "o1")
    else:
        with pytest.raises(IllegalTransition) as caught:
            MOVE[target](order, clock.now())
        assert caught.value.code == "illegal_transition"
        assert caught.value.context == {"current": current.value, "target": target.value}
        assert order.status is current
        assert order.pull_events() == []


def test_place_records_a_pending_order_with_its_total(clock):
    order = Order.place(
        order_id="o1", user_id="u1", lines=[_line("a", 2, "10.50"), _line("b", 3, "0.99")],
        payment_method="tok_visa", now=clock.now(),
    )

    assert order.status is S.PENDING
    assert order.total == Money.of("23.97", "EUR")
    assert order.lines[0].subtotal == Money.of("21.00", "EUR")
    [created] = order.pull_events()
    assert isinstance(created, OrderCreated)
    assert (created.total, created.currency, created.payment_method) == (
        Money.of("23.97", "EUR").amount, "EUR", "tok_visa"
    )
    assert [(i.product_id, i.quantity) for i in created.items] == [("a", 2), ("b", 3)]


def test_an_order_without_lines_is_empty_cart(clock):
    with pytest.raises(EmptyCart):
        Order.place(order_id="o1", user_id="u1", lines=[], payment_method="t", now=clock.now())


def test_an_order_in_two_currencies_is_refused(clock):
    with pytest.raises(CurrencyMismatch):
        _order(clock, lines=[_line("a", currency="EUR"), _line("b", currency="USD")])


@pytest.mark.parametrize("reason", list(CancelReason))
def test_cancel_keeps_its_reason_and_the_previous_status(clock, reason):
    order = _order(clock, S.CONFIRMED)

    order.cancel(clock.now(), reason)

    assert order.cancel_reason == reason.value
    [event] = order.pull_events()
    assert (event.reason, event.previous_status) == (reason.value, "CONFIRMED")


# -- checkout ----------------------------------------------------------------------------------


async def test_checkout_with_an_approved_card_confirms_the_order(shop):
    customer = await a_customer(shop)
    mug = await a_product(shop, price="4.50", stock=10)
    pen = await a_product(shop, price="1.25", stock=10)

    order = await place_order(shop, customer, [(mug, 2), (pen, 4)])

    assert order.status is S.CONFIRMED
    assert order.user_id == customer.id
    assert order.total == Money.of("14.00", "EUR")
    assert sorted((line.product_id, line.quantity) for line in order.lines) == sorted(
        [(mug.id, 2), (pen.id, 4)]
    )
    assert (await shop.handle(GetCart(customer.id))).items == ()


async def test_checkout_takes_the_price_of_the_moment(shop):
    customer = await a_customer(shop)
    mug = await a_product(shop, price="4.50")

    order = await place_order(shop, customer, [(mug, 1)])

    assert order.lines[0].price == Money.of("4.50", "EUR")
    assert (order.lines[0].sku, order.lines[0].name) == (mug.sku, mug.name)


async def test_checkout_of_an_empty_cart_is_empty_cart(shop):
    customer = await a_customer(shop)

    with pytest.raises(EmptyCart) as caught:
        await shop.handle(Checkout(user_id=customer.id, payment_token="tok_visa"))
    assert caught.value.code == "empty_cart"


async def test_checkout_with_a_product_no_longer_sold_is_refused(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    await shop.handle(AddToCart(customer.id, product.id, 1))
    await shop.handle(DeactivateProduct(product.id))

    with pytest.raises(ProductUnavailable):
        await shop.handle(Checkout(user_id=customer.id, payment_token="tok_visa"))
    assert (await shop.handle(ListOrders(user_id=customer.id)))[1] == 0


@pytest.mark.parametrize("token", ["", "x" * 201, "tok\nvisa"])
async def test_checkout_refuses_a_malformed_payment_token(shop, token):
    customer = await a_customer(shop)
    product = await a_product(shop)
    await shop.handle(AddToCart(customer.id, product.id, 1))

    with pytest.raises(InvalidInput) as caught:
        await shop.handle(Checkout(user_id=customer.id, payment_token=token))
    assert caught.value.field == "payment_method.token"


async def test_checkout_uses_a_given_order_id(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    await shop.handle(AddToCart(customer.id, product.id, 1))

    order = await shop.handle(
        Checkout(user_id=customer.id, payment_token="tok_visa", order_id="fixed-id")
    )

    assert order.id == "fixed-id"
    assert (await order_now(shop, "fixed-id")).status is S.CONFIRMED


async def test_out_of_stock_at_reservation_cancels_the_order(shop):
    customer = await a_customer(shop)
    other = await a_customer(shop)
    product = await a_product(shop, stock=2)
    await shop.handle(AddToCart(customer.id, product.id, 2))
    await place_order(shop, other, [(product, 2)])  # takes the last units first

    placed = await shop.handle(Checkout(user_id=customer.id, payment_token="tok_visa"))

    order = await order_now(shop, placed.id)
    assert order.status is S.CANCELLED
    assert order.cancel_reason == "out_of_stock"
    assert (await stock_of(shop, product.id)).on_hand == 0
    assert placed.id not in gateway(shop).charge_calls


async def test_declined_payment_cancels_the_order_with_payment_declined(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=5)

    order = await place_order(shop, customer, [(product, 2)], token="tok_chargeDeclined")

    assert order.status is S.CANCELLED
    assert order.cancel_reason == "payment_declined"
    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 0, 5)


async def test_an_unanswered_payment_leaves_the_order_pending_until_the_sweeper_expires_it(
    shop, clock, settings
):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=5)
    order = await place_order(shop, customer, [(product, 2)], token="tok_timeout")
    assert order.status is S.PENDING
    assert (await stock_of(shop, product.id)).reserved == 2

    assert await shop.handle(ExpireReservations()) == 0  # not overdue yet
    clock.advance(settings.reservation_ttl + timedelta(seconds=1))
    assert await shop.handle(ExpireReservations()) == 1

    order = await order_now(shop, order.id)
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "reservation_expired")
    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved) == (5, 0)
    reservation = await _reservation(shop, order.id)
    assert reservation.status is ReservationStatus.RELEASED
    assert await shop.handle(ExpireReservations()) == 0


# -- cancel, ship, deliver ---------------------------------------------------------------------


async def test_customer_cancel_of_a_confirmed_order_returns_stock_and_refunds(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, price="3.00", stock=10)
    order = await place_order(shop, customer, [(product, 4)])
    assert (await stock_of(shop, product.id)).on_hand == 6
    assert gateway(shop).captured[order.id] == Money.of("12.00", "EUR")

    cancelled = await shop.handle(CancelOrder(order_id=order.id, requested_by=customer.id))

    assert cancelled.status is S.CANCELLED
    assert cancelled.cancel_reason == "customer_cancelled"
    stock = await stock_of(shop, product.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 0, 10)
    assert gateway(shop).refunded == {order.id: Money.of("12.00", "EUR")}
    assert (await _reservation(shop, order.id)).status is ReservationStatus.RELEASED


async def test_admin_cancel_records_admin_cancelled(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    order = await place_order(shop, customer, [(product, 1)])

    cancelled = await shop.handle(
        CancelOrder(order_id=order.id, requested_by="admin-id", as_admin=True)
    )

    assert cancelled.cancel_reason == "admin_cancelled"


async def test_cancelling_twice_is_an_illegal_transition_and_refunds_once(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    order = await place_order(shop, customer, [(product, 1)])
    await shop.handle(CancelOrder(order_id=order.id, requested_by=customer.id))

    with pytest.raises(IllegalTransition):
        await shop.handle(CancelOrder(order_id=order.id, requested_by=customer.id))
    assert (await stock_of(shop, product.id)).on_hand == 10
    assert list(gateway(shop).refunded) == [order.id]


async def test_cancel_of_a_shipped_order_is_an_illegal_transition(shop):
    customer = await a_customer(shop)
    product = await a_product(shop, stock=10)
    order = await place_order(shop, customer, [(product, 1)])
    await shop.handle(ShipOrder(order.id))

    with pytest.raises(IllegalTransition):
        await shop.handle(CancelOrder(order_id=order.id, requested_by=customer.id))
    assert (await order_now(shop, order.id)).status is S.SHIPPED
    assert (await stock_of(shop, product.id)).on_hand == 9
    assert gateway(shop).refunded == {}


async def test_another_customers_order_does_not_exist_for_you(shop):
    owner = await a_customer(shop)
    intruder = await a_customer(shop)
    product = await a_product(shop)
    order = await place_order(shop, owner, [(product, 1)])

    with pytest.raises(OrderNotFound) as caught:
        await shop.handle(GetOrder(order_id=order.id, requested_by=intruder.id))
    assert caught.value.code == "order_not_found"
    with pytest.raises(OrderNotFound):
        await shop.handle(CancelOrder(order_id=order.id, requested_by=intruder.id))
    assert (await order_now(shop, order.id)).status is S.CONFIRMED
    assert (await shop.handle(GetOrder(order_id=order.id, requested_by=owner.id))).id == order.id


@pytest.mark.parametrize(
    "command",
    [
        lambda: GetOrder(order_id="nope", requested_by="u", as_admin=True),
        lambda: CancelOrder(order_id="nope", requested_by="u", as_admin=True),
        lambda: ShipOrder("nope"),
        lambda: DeliverOrder("nope"),
    ],
    ids=["get", "cancel", "ship", "deliver"],
)
async def test_an_unknown_order_is_order_not_found(shop, command):
    with pytest.raises(OrderNotFound):
        await shop.handle(command())


async def test_ship_then_deliver_moves_order_and_reservation(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    order = await place_order(shop, customer, [(product, 1)])
    log = EventLog(shop)

    shipped = await shop.handle(ShipOrder(order.id))
    assert shipped.status is S.SHIPPED
    assert (await _reservation(shop, order.id)).status is ReservationStatus.SHIPPED

    delivered = await shop.handle(DeliverOrder(order.id))
    assert delivered.status is S.DELIVERED
    assert (await _reservation(shop, order.id)).status is ReservationStatus.DELIVERED
    assert [type(e) for e in log.events] == [OrderShipped, OrderDelivered]


async def test_deliver_before_ship_is_an_illegal_transition(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    order = await place_order(shop, customer, [(product, 1)])

    with pytest.raises(IllegalTransition):
        await shop.handle(DeliverOrder(order.id))


async def test_ship_of_a_cancelled_order_is_an_illegal_transition(shop):
    customer = await a_customer(shop)
    product = await a_product(shop)
    order = await place_order(shop, customer, [(product, 1)], token="tok_chargeDeclined")

    with pytest.raises(IllegalTransition):
        await shop.handle(ShipOrder(order.id))


# -- listing -----------------------------------------------------------------------------------


async def test_list_orders_shows_own_orders_newest_first_with_a_total(shop):
    customer = await a_customer(shop)
    other = await a_customer(shop)
    product = await a_product(shop, stock=100)
    mine = [(await place_order(shop, customer, [(product, 1)])).id for _ in range(3)]
    await place_order(shop, other, [(product, 1)])

    first, total = await shop.handle(ListOrders(user_id=customer.id, page=1, page_size=2))
    second, _ = await shop.handle(ListOrders(user_id=customer.id, page=2, page_size=2))

    assert total == 3
    assert [o.id for o in first + second] == list(reversed(mine))


@pytest.mark.parametrize(("page", "page_size"), [(0, 20), (1, 0), (1, 101)])
async def test_list_orders_validates_paging(shop, page, page_size):
    with pytest.raises(InvalidInput):
        await shop.handle(ListOrders(user_id="u", page=page, page_size=page_size))


async def _reservation(shop, order_id):
    async with shop.container.uow() as uow:
        return await uow.reservations.get(order_id)

