"""A hypothesis state machine over inventory and ordering: customers fill carts and check out with
approving, declining and silent cards, payments fail late, reservations expire, customers cancel,
admins adjust stock, ship and deliver, and already-handled events are delivered again. After every
step the stock ledger, the reservations, the order histories and the gateway must agree."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from adapters.memory.store import MemoryStore
from adapters.payments.sandbox import SandboxGateway
from adapters.security.passwords import Argon2PasswordHasher
from adapters.system import ManualClock
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.inventory.commands import AdjustStock
from commerce_core.inventory.model import ReservationStatus
from commerce_core.ordering.commands import (
    CancelOrder,
    Checkout,
    DeliverOrder,
    ExpireReservations,
    ShipOrder,
)
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderShipped,
)
from commerce_core.ordering.model import ALLOWED_TRANSITIONS, OrderStatus
from commerce_core.payments.events import PaymentFailed
from commerce_core.payments.model import PaymentStatus
from commerce_core.shared.errors import Conflict, DomainError
from commerce_core.shared.events import Event
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings

TOKENS = ("tok_visa", "tok_chargeDeclined", "tok_timeout")
CUSTOMERS = 3
PRODUCTS = 2
INITIAL_STOCK = 6
TTL_S = 900

STATUS_OF_EVENT: dict[type[Event], OrderStatus] = {
    OrderCreated: OrderStatus.PENDING,
    OrderConfirmed: OrderStatus.CONFIRMED,
    OrderCancelled: OrderStatus.CANCELLED,
    OrderShipped: OrderStatus.SHIPPED,
    OrderDelivered: OrderStatus.DELIVERED,
}
# What the order's stock movements must add up to, per reservation state: (on_hand, reserved)
# as multiples of the reserved quantity. Anything else means stock moved twice or not at all.
NET_MOVEMENT = {
    ReservationStatus.RESERVED: (0, 1),
    ReservationStatus.COMMITTED: (-1, 0),
    ReservationStatus.SHIPPED: (-1, 0),
    ReservationStatus.DELIVERED: (-1, 0),
    ReservationStatus.RELEASED: (0, 0),
    ReservationStatus.FAILED: (0, 0),
}


class SequentialIds:
    """Ids in creation order: time-based UUIDs made in one millisecond sort at random, which
    would make the rules' choices (and so hypothesis's replays) differ from run to run."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def new_id(self) -> str:
        return f"{next(self._next):032x}"


class SagaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        # The gateway gives up on tok_timeout after 5 ms: short, yet a real time-out.
        container = build_container(Settings(payment_timeout_s=0.005, reservation_ttl_s=TTL_S))
        container.clock.override(self.clock)
        container.ids.override(SequentialIds())
        container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
        self.container = container
        self._shop_context = open_shop(container=container)
        self.shop = self.run(self._shop_context.__aenter__())
        self.store: MemoryStore = container.memory_store()
        self.gateway: SandboxGateway = container.gateway()
        self.observed: list[Event] = []
        self.seen_ids: set[str] = set()
        self.history: dict[str, list[OrderStatus]] = defaultdict(list)
        self.shop.bus.observe(self._record)
        self.customers: list[str] = []
        self.products: list[str] = []

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def teardown(self) -> None:
        try:
            self.run(self._shop_context.__aexit__(None, None, None))
            self.run(self.loop.shutdown_asyncgens())
            self.run(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()

    def _record(self, event: Event) -> None:
        self.observed.append(event)
        if event.message_id in self.seen_ids:
            return  # a redelivery: the history counts each fact once
        self.seen_ids.add(event.message_id)
        status = STATUS_OF_EVENT.get(type(event))
        if status is None:
            return
        order_id: str = event.order_id  # type: ignore[attr-defined]
        if isinstance(event, OrderCancelled):
            assert self.history[order_id][-1].value == event.previous_status
        self.history[order_id].append(status)

    # -- setup ----------------------------------------------------------------------------------

    @initialize()
    def open_the_shop(self) -> None:
        for n in range(CUSTOMERS):
            user = self.run(
                self.shop.handle(RegisterUser(f"c{n}@example.com", "password-123", f"C{n}"))
            )
            self.customers.append(user.id)
        for n in range(PRODUCTS):
            product = self.run(
                self.shop.handle(
                    CreateProduct(
                        sku=f"SKU-{n}", name=f"P{n}", description="", category="c",
                        price=Decimal("5.00"), currency="EUR", stock=INITIAL_STOCK,
                    )
                )
            )
            self.products.append(product.id)

    def orders_in(self, *statuses: OrderStatus) -> list[str]:
        return sorted(o.id for o in self.store.orders.values() if o.status in statuses)

    # -- rules ----------------------------------------------------------------------------------

    @rule(customer=st.integers(0, CUSTOMERS - 1), product=st.integers(0, PRODUCTS - 1),
          quantity=st.integers(1, 4))
    def fill_cart(self, customer: int, product: int, quantity: int) -> None:
        # More than the catalog shows as available is refused and changes nothing.
        with contextlib.suppress(DomainError):
            self.run(self.shop.handle(
                AddToCart(self.customers[customer], self.products[product], quantity)
            ))

    @rule(customer=st.integers(0, CUSTOMERS - 1), product=st.integers(0, PRODUCTS - 1),
          quantity=st.integers(1, 3), token=st.sampled_from(TOKENS))
    def place_order(self, customer: int, product: int, quantity: int, token: str) -> None:
        """Adds to the cart (which may already hold stale lines) and checks out; the saga runs
        to its outcome before ``handle`` returns."""
        self.fill_cart(customer, product, quantity)
        with contextlib.suppress(Conflict):  # an empty cart: the line above was refused
            self.run(self.shop.handle(
                Checkout(user_id=self.customers[customer], payment_token=token)
            ))

    @precondition(lambda self: self.orders_in(OrderStatus.PENDING))
    @rule(data=st.data())
    def payment_fails_late(self, data: st.DataObject) -> None:
        """The gateway's late answer for a charge the saga stopped waiting for: declined."""
        order_id = data.draw(st.sampled_from(self.orders_in(OrderStatus.PENDING)))
        self.run(self.shop.bus.dispatch([
            PaymentFailed(occurred_at=self.clock.now(), correlation_id=order_id,
                          order_id=order_id, reason="card_declined")
        ]))

    @rule(seconds=st.sampled_from([60, TTL_S - 1, TTL_S, TTL_S + 1, 2 * TTL_S]))
    def time_passes_and_the_sweeper_runs(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.run(self.shop.handle(ExpireReservations()))

    @precondition(lambda self: self.store.orders)
    @rule(data=st.data())
    def customer_cancels(self, data: st.DataObject) -> None:
        order = self.pick(data, OrderStatus.PENDING, OrderStatus.CONFIRMED)
        try:
            self.run(self.shop.handle(CancelOrder(order_id=order.id, requested_by=order.user_id)))
        except Conflict:
            assert order.status in {
                OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED,
            }

    @rule(product=st.integers(0, PRODUCTS - 1),
          delta=st.integers(-4, 4).filter(lambda d: d != 0))
    def admin_adjusts_stock(self, product: int, delta: int) -> None:
        try:
            self.run(self.shop.handle(
                AdjustStock(product_id=self.products[product], delta=delta, reason="admin")
            ))
        except Conflict:
            stock = self.store.stock[self.products[product]]
            assert stock.available + delta < 0

    def pick(self, data: st.DataObject, *likely: OrderStatus) -> Any:
        """An order in one of the ``likely`` states if there is one, else any order."""
        candidates = self.orders_in(*likely) or sorted(self.store.orders)
        return self.store.orders[data.draw(st.sampled_from(candidates))]

    @precondition(lambda self: self.store.orders)
    @rule(data=st.data())
    def admin_ships(self, data: st.DataObject) -> None:
        order = self.pick(data, OrderStatus.CONFIRMED)
        try:
            self.run(self.shop.handle(ShipOrder(order.id)))
        except Conflict:
            assert order.status is not OrderStatus.CONFIRMED

    @precondition(lambda self: self.store.orders)
    @rule(data=st.data())
    def admin_delivers(self, data: st.DataObject) -> None:
        order = self.pick(data, OrderStatus.SHIPPED)
        try:
            self.run(self.shop.handle(DeliverOrder(order.id)))
        except Conflict:
            assert order.status is not OrderStatus.SHIPPED

    @precondition(lambda self: self.observed)
    @rule(data=st.data())
    def an_event_is_delivered_again(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.observed))
        self.run(self.shop.bus.dispatch([event]))

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def stock_figures_match_the_ledger_and_the_reservations(self) -> None:
        held: dict[str, int] = defaultdict(int)
        for reservation in self.store.reservations.values():
            if reservation.status is ReservationStatus.RESERVED:
                for item in reservation.items:
                    held[item.product_id] += item.quantity
        for product_id, stock in self.store.stock.items():
            movements = self.store.movements[product_id]
            assert stock.on_hand == sum(m.delta_on_hand for m in movements)
            assert stock.reserved == sum(m.delta_reserved for m in movements)
            assert stock.reserved == held[product_id]
            assert stock.available >= 0

    @invariant()
    def each_order_moved_its_stock_exactly_once(self) -> None:
        net: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for product_id, movements in self.store.movements.items():
            for m in movements:
                if m.reference in self.store.orders:
                    figures = net[(m.reference, product_id)]
                    figures[0] += m.delta_on_hand
                    figures[1] += m.delta_reserved
        expected: dict[tuple[str, str], list[int]] = {}
        for reservation in self.store.reservations.values():
            on_hand, reserved = NET_MOVEMENT[reservation.status]
            for item in reservation.items:
                expected[(reservation.order_id, item.product_id)] = [
                    on_hand * item.quantity, reserved * item.quantity,
                ]
        assert dict(net) == expected

    @invariant()
    def orders_only_move_along_allowed_transitions(self) -> None:
        for order_id, order in self.store.orders.items():
            statuses = self.history[order_id]
            assert statuses[0] is OrderStatus.PENDING
            for before, after in itertools.pairwise(statuses):
                assert after in ALLOWED_TRANSITIONS[before], (order_id, statuses)
            assert statuses[-1] is order.status

    @invariant()
    def reservations_follow_their_orders(self) -> None:
        for order_id, order in self.store.orders.items():
            reservation = self.store.reservations.get(order_id)
            if order.status is OrderStatus.CONFIRMED:
                assert reservation is not None
                assert reservation.status is ReservationStatus.COMMITTED
            elif order.status is OrderStatus.CANCELLED and reservation is not None:
                assert reservation.status in {ReservationStatus.RELEASED, ReservationStatus.FAILED}

    @invariant()
    def nobody_pays_twice_or_for_a_cancelled_order(self) -> None:
        assert self.gateway.charged_twice() == []
        for order_id, order in self.store.orders.items():
            payment = self.store.payments.get(order_id)
            if order.status is OrderStatus.CANCELLED:
                assert payment is None or payment.status is not PaymentStatus.CAPTURED
                if order_id in self.gateway.captured:
                    assert order_id in self.gateway.refunded
            elif order.status in {
                OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
            }:
                assert payment is not None
                assert payment.status is PaymentStatus.CAPTURED
                assert order_id not in self.gateway.refunded


SagaMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSagaStateMachine = SagaMachine.TestCase
