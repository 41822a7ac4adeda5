"""What each integration event means for the read models, so adapters only store and sum.

The projection folds a batch of events over the facts it needs (products and orders, handed in
by the adapter, which loads them in bulk first: see ``wanted_orders`` and ``wanted_products``) and
returns ``Changes``: new versions of those facts plus deltas to add to the pre-aggregated tables.

Sales are net and bucketed by the UTC day of the order's confirmation:

* ``OrderCreated`` brings the lines and prices; ``OrderConfirmed`` books them, each product under
  the category the catalog gives it at that moment (kept with the order, so a later reversal comes
  off the same buckets even if the product moved to another category since).
* ``OrderCancelled`` (whatever the status before) or a ``PaymentRefunded`` of the whole amount takes
  the order out again, from the day it was booked on. The refund that follows a cancellation
  finds nothing left to take out.
* A partial ``PaymentRefunded`` takes that much revenue out, shared among the lines in proportion
  to their revenue (rounded to the currency's minor unit, the remainder on the last line); orders
  and units stay. ``ReturnReceived`` takes the returned units and their price out.
* An order counts in a bucket (day, product, category) while it has units left there; the
  figures of a bucket are the sum over its orders, so a bucket is exact however the events
  interleave, and events arriving out of order (a confirmation before its creation) book once
  both are known.

Stock movements by kind: ``StockAdjusted`` says why stock changed outside an order (``supplier``
is received, ``return`` is returned, ``admin`` and ``damage`` are adjusted; the initial stock of
``ProductCreated`` is an admin movement, as in the movement log). Order movements carry no event
of their own, so ``sold`` is what the other kinds leave unexplained of the latest ``on_hand``
(``StockUpdated``): on_hand always equals the sum of the movement log.

The funnel counts, per UTC day, carts started (``CartStarted``) and the orders that were created,
paid, confirmed and cancelled that day, each order at most once per step.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple, TypeVar

from attrs import define, field, frozen

from commerce_core.cart.events import CartStarted
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.inventory.events import LowStockDetected, StockAdjusted, StockUpdated
from commerce_core.ordering.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    ReturnReceived,
)
from commerce_core.payments.events import PaymentProcessed, PaymentRefunded
from commerce_core.shared.events import Event
from commerce_core.shared.money import minor_units

ZERO = Decimal(0)
K = TypeVar("K")


def utc_day(moment: datetime) -> date:
    if moment.tzinfo is UTC:  # the clock's events: astimezone would return the moment itself
        return moment.date()
    return moment.astimezone(UTC).date()


class FunnelStep(enum.StrEnum):
    CARTS = "carts"
    ORDERS_CREATED = "orders_created"
    ORDERS_PAID = "orders_paid"
    ORDERS_CONFIRMED = "orders_confirmed"
    ORDERS_CANCELLED = "orders_cancelled"


# The members the rules count, as plain names: in Python 3.11 ``FunnelStep.CARTS`` goes through
# the enum's descriptor on every use, which costs more than the rest of counting a step.
_CARTS = FunnelStep.CARTS
_CREATED = FunnelStep.ORDERS_CREATED
_PAID = FunnelStep.ORDERS_PAID
_CONFIRMED = FunnelStep.ORDERS_CONFIRMED
_CANCELLED = FunnelStep.ORDERS_CANCELLED


class MovementKind(enum.StrEnum):
    RECEIVED = "received"
    RETURNED = "returned"
    ADJUSTED = "adjusted"


MOVEMENT_KIND_OF_REASON = {
    "supplier": MovementKind.RECEIVED,
    "return": MovementKind.RETURNED,
    "admin": MovementKind.ADJUSTED,
    "damage": MovementKind.ADJUSTED,
}


@frozen
class Figures:
    orders: int
    units: int
    revenue: Decimal

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.orders + other.orders, self.units + other.units, self.revenue + other.revenue
        )

    def __sub__(self, other: Figures) -> Figures:
        return Figures(
            self.orders - other.orders, self.units - other.units, self.revenue - other.revenue
        )

    @property
    def is_zero(self) -> bool:
        return self.orders == 0 and self.units == 0 and self.revenue == 0


@define
class ProductFacts:
    """A product as reporting knows it: the catalog's names, the latest stock figures and the
    units moved by kind over its whole history. Mutable for speed, but the projection changes
    only its own copies (see ``Projection``)."""

    product_id: str
    known: bool = False  # ProductCreated was seen
    sku: str = ""
    name: str = ""
    category: str = ""
    active: bool = True
    low_stock_threshold: int = 0
    on_hand: int = 0
    reserved: int = 0
    stock_version: int = -1  # of the StockUpdated the figures come from; -1: ProductCreated's
    received: int = 0
    returned: int = 0
    adjusted: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def sold(self) -> int:
        return self.received + self.returned + self.adjusted - self.on_hand

    def copy(self) -> ProductFacts:
        return ProductFacts(
            self.product_id,
            self.known,
            self.sku,
            self.name,
            self.category,
            self.active,
            self.low_stock_threshold,
            self.on_hand,
            self.reserved,
            self.stock_version,
            self.received,
            self.returned,
            self.adjusted,
        )


# The two line records are NamedTuples: one is made per order and per booking, and a tuple is
# the cheapest immutable record to make and to compare.


class OrderLineFacts(NamedTuple):
    product_id: str
    quantity: int
    unit_price: Decimal


class SoldLine(NamedTuple):
    """What an order contributes, now, to one product's bucket on its confirmation day."""

    product_id: str
    category: str
    units: int
    revenue: Decimal


@define
class OrderFacts:
    """What reporting keeps of an order (every value in it is immutable: a copy is shallow)."""

    order_id: str
    currency: str = ""
    lines: tuple[OrderLineFacts, ...] | None = None  # None until OrderCreated is seen
    confirmed_on: date | None = None
    reversed: bool = False  # cancelled, or refunded in full
    refunded: Decimal = ZERO  # money given back by partial refunds
    returned: tuple[tuple[str, int], ...] = ()  # units returned, by product
    categories: tuple[tuple[str, str], ...] = ()  # each product's category when booked
    sold: tuple[SoldLine, ...] = ()  # booked in the sales tables now
    steps: frozenset[FunnelStep] = frozenset()  # funnel steps counted for this order

    def copy(self) -> OrderFacts:
        return OrderFacts(
            self.order_id,
            self.currency,
            self.lines,
            self.confirmed_on,
            self.reversed,
            self.refunded,
            self.returned,
            self.categories,
            self.sold,
            self.steps,
        )


SalesDayKey = tuple[date, str]  # day, currency
SalesProductKey = tuple[date, str, str, str]  # day, product id, category, currency
SalesCategoryKey = tuple[date, str, str]  # day, category, currency
FunnelKey = tuple[date, FunnelStep]


@define
class Changes:
    """What a batch changes: facts to store (their latest version) and figures to add."""

    products: dict[str, ProductFacts] = field(factory=dict)
    orders: dict[str, OrderFacts] = field(factory=dict)
    sales_by_day: dict[SalesDayKey, Figures] = field(factory=dict)
    sales_by_product: dict[SalesProductKey, Figures] = field(factory=dict)
    sales_by_category: dict[SalesCategoryKey, Figures] = field(factory=dict)
    funnel: dict[FunnelKey, int] = field(factory=dict)


def wanted_orders(events: Iterable[Event]) -> set[str]:
    """The orders whose facts folding ``events`` reads."""
    return {
        order_id for event in events if (order_id := getattr(event, "order_id", None)) is not None
    }


def wanted_products(events: Iterable[Event], orders: Mapping[str, OrderFacts]) -> set[str]:
    """The products whose facts folding ``events`` reads, given the orders loaded for them."""
    wanted = {
        product_id
        for event in events
        if (product_id := getattr(event, "product_id", None)) is not None
    }
    for event in events:
        if isinstance(event, OrderCreated):
            wanted.update(item.product_id for item in event.items)
    for order in orders.values():
        wanted.update(line.product_id for line in order.lines or ())
    return wanted


class _Sums:
    """A sales bucket's running sums within one fold; ``changes`` makes them ``Figures``."""

    __slots__ = ("orders", "revenue", "units")

    def __init__(self) -> None:
        self.orders, self.units, self.revenue = 0, 0, ZERO


class _Buckets(dict[K, _Sums]):
    """Sales buckets by key, each made on its first use."""

    def __missing__(self, key: K) -> _Sums:
        sums = self[key] = _Sums()
        return sums


class Projection:
    """Folds events over the facts it was given; read ``changes`` when done."""

    def __init__(
        self, products: Mapping[str, ProductFacts], orders: Mapping[str, OrderFacts]
    ) -> None:
        self._products = products
        self._orders = orders
        self._changes = Changes()
        # Sales are summed in place and made Figures once per bucket, not once per booking.
        self._by_day: _Buckets[SalesDayKey] = _Buckets()
        self._by_product: _Buckets[SalesProductKey] = _Buckets()
        self._by_category: _Buckets[SalesCategoryKey] = _Buckets()

    @property
    def changes(self) -> Changes:
        changes = self._changes
        changes.sales_by_day = _figures(self._by_day)
        changes.sales_by_product = _figures(self._by_product)
        changes.sales_by_category = _figures(self._by_category)
        return changes

    def fold(self, events: Iterable[Event]) -> Changes:
        rules = _RULES
        for event in events:  # ``apply``, without a call per event
            rule = rules.get(type(event))
            if rule is not None:
                rule(self, event)
        return self.changes

    def apply(self, event: Event) -> None:
        rule = _RULES.get(type(event))
        if rule is not None:
            rule(self, event)

    # -- facts --------------------------------------------------------------------------------
    # The facts handed in are never changed: the first change in a batch works on a copy, kept
    # in ``changes``, so a store that applies the changes after the fold stays atomic.

    def product(self, product_id: str) -> ProductFacts:
        facts = self._changes.products.get(product_id) or self._products.get(product_id)
        return facts if facts is not None else ProductFacts(product_id)

    def order(self, order_id: str) -> OrderFacts:
        facts = self._changes.orders.get(order_id) or self._orders.get(order_id)
        return facts if facts is not None else OrderFacts(order_id)

    def _edit_product(self, product_id: str) -> ProductFacts:
        facts = self._changes.products.get(product_id)
        if facts is None:
            stored = self._products.get(product_id)
            facts = stored.copy() if stored is not None else ProductFacts(product_id)
            self._changes.products[product_id] = facts
        return facts

    def _edit_order(self, order_id: str) -> OrderFacts:
        facts = self._changes.orders.get(order_id)
        if facts is None:
            stored = self._orders.get(order_id)
            facts = stored.copy() if stored is not None else OrderFacts(order_id)
            self._changes.orders[order_id] = facts
        return facts

    # -- catalog and stock --------------------------------------------------------------------

    def _product_created(self, event: ProductCreated) -> None:
        product = self._edit_product(event.product_id)
        if product.known:
            return
        product.known = True
        product.sku, product.name, product.category = event.sku, event.name, event.category
        product.low_stock_threshold = event.low_stock_threshold
        if product.stock_version < 0:
            product.on_hand = event.initial_stock
        product.adjusted += event.initial_stock

    def _product_updated(self, event: ProductUpdated) -> None:
        product = self._edit_product(event.product_id)
        product.sku, product.name, product.category = event.sku, event.name, event.category
        product.active = event.active

    def _stock_updated(self, event: StockUpdated) -> None:
        if event.stock_version <= self.product(event.product_id).stock_version:
            return  # older figures than the ones kept
        product = self._edit_product(event.product_id)
        product.on_hand, product.reserved = event.on_hand, event.reserved
        product.stock_version = event.stock_version

    def _stock_adjusted(self, event: StockAdjusted) -> None:
        kind = MOVEMENT_KIND_OF_REASON.get(event.reason, MovementKind.ADJUSTED)
        product = self._edit_product(event.product_id)
        if kind is MovementKind.RECEIVED:
            product.received += event.delta
        elif kind is MovementKind.RETURNED:
            product.returned += event.delta
        else:
            product.adjusted += event.delta

    def _low_stock_detected(self, event: LowStockDetected) -> None:
        self._edit_product(event.product_id).low_stock_threshold = event.threshold

    # -- cart and orders ----------------------------------------------------------------------

    def _cart_started(self, event: CartStarted) -> None:
        funnel = self._changes.funnel
        key = (utc_day(event.occurred_at), _CARTS)
        funnel[key] = funnel.get(key, 0) + 1

    def _order_created(self, event: OrderCreated) -> None:
        order = self._edit_order(event.order_id)
        if order.lines is None:
            order.lines = _order_lines(event)
            order.currency = event.currency
        self._step(order, _CREATED, utc_day(event.occurred_at))
        self._book(order)

    def _payment_processed(self, event: PaymentProcessed) -> None:
        order = self._edit_order(event.order_id)
        self._step(order, _PAID, utc_day(event.occurred_at))

    def _order_confirmed(self, event: OrderConfirmed) -> None:
        order = self._edit_order(event.order_id)
        day = utc_day(event.occurred_at)
        if order.confirmed_on is None:
            order.confirmed_on = day
            order.currency = order.currency or event.currency
        self._step(order, _CONFIRMED, day)
        self._book(order)

    def _order_cancelled(self, event: OrderCancelled) -> None:
        order = self._edit_order(event.order_id)
        order.reversed = True
        self._step(order, _CANCELLED, utc_day(event.occurred_at))
        self._book(order)

    def _payment_refunded(self, event: PaymentRefunded) -> None:
        order = self._edit_order(event.order_id)
        if order.reversed or (order.currency and order.currency != event.currency):
            return
        order.refunded += event.amount
        if order.lines is not None and order.refunded >= _gross(order):
            order.reversed = True
        self._book(order)

    def _return_received(self, event: ReturnReceived) -> None:
        order = self._edit_order(event.order_id)
        returned = dict(order.returned)
        for item in event.items:
            returned[item.product_id] = returned.get(item.product_id, 0) + item.quantity
        order.returned = tuple(sorted(returned.items()))
        self._book(order)

    def _step(self, order: OrderFacts, step: FunnelStep, day: date) -> None:
        if step not in order.steps:
            order.steps = _WITH_STEP[order.steps, step]
            funnel = self._changes.funnel
            key = (day, step)
            funnel[key] = funnel.get(key, 0) + 1

    # -- sales --------------------------------------------------------------------------------

    def _book(self, order: OrderFacts) -> None:
        """Moves the sales tables from what the order contributed to what it contributes now."""
        if order.confirmed_on is None or order.lines is None:
            return  # nothing is booked before both the lines and the confirmation are known
        if not order.categories:
            order.categories = tuple(
                (line.product_id, self.product(line.product_id).category) for line in order.lines
            )
        sold = _net_lines(order)
        if sold != order.sold:
            if order.sold:
                self._add_sales(order.confirmed_on, order.currency, order.sold, -1)
            if sold:
                self._add_sales(order.confirmed_on, order.currency, sold, 1)
            order.sold = sold

    def _add_sales(self, day: date, currency: str, sold: tuple[SoldLine, ...], sign: int) -> None:
        # Every sum starts from ZERO (a Decimal sum's exponent is the least of its terms', so a
        # bucket's figures keep the zero's, as the figures of every store do). The sums are exact
        # (money is far from 28 digits), hence the same whatever order the terms come in.
        counted: set[str] = set()  # the categories that counted the order already
        total_units, total_revenue = 0, ZERO
        for line in sold:
            units, revenue = sign * line.units, sign * line.revenue
            product = self._by_product[day, line.product_id, line.category, currency]
            product.orders += sign
            product.units += units
            product.revenue += revenue
            category = self._by_category[day, line.category, currency]
            if line.category not in counted:
                category.orders += sign
                counted.add(line.category)
            category.units += units
            category.revenue += revenue
            total_units, total_revenue = total_units + units, total_revenue + revenue
        total = self._by_day[day, currency]
        total.orders += sign
        total.units += total_units
        total.revenue += total_revenue


def _figures(table: dict[K, _Sums]) -> dict[K, Figures]:
    return {key: Figures(s.orders, s.units, s.revenue) for key, s in table.items()}


def _every_step_set() -> dict[frozenset[FunnelStep], frozenset[FunnelStep]]:
    return {
        steps: steps
        for size in range(len(FunnelStep) + 1)
        for steps in map(frozenset, itertools.combinations(FunnelStep, size))
    }


# Every set of funnel steps with one step more: orders share these few sets (one object per set,
# so the lookup matches by identity) instead of each building a new one per step.
_STEP_SETS = _every_step_set()
_WITH_STEP = {
    (steps, step): _STEP_SETS[steps | {step}] for steps in _STEP_SETS for step in FunnelStep
}


def _order_lines(event: OrderCreated) -> tuple[OrderLineFacts, ...]:
    """One line per product, by product id: the quantities summed, the last price."""
    if len(event.items) == 1:  # most orders: nothing to merge or sort
        (item,) = event.items
        return (OrderLineFacts(item.product_id, item.quantity, item.unit_price),)
    merged: dict[str, tuple[int, Decimal]] = {}
    for item in event.items:
        quantity, _ = merged.get(item.product_id, (0, item.unit_price))
        merged[item.product_id] = (quantity + item.quantity, item.unit_price)
    return tuple(
        OrderLineFacts(pid, quantity, price) for pid, (quantity, price) in sorted(merged.items())
    )


def _gross(order: OrderFacts) -> Decimal:
    returned = dict(order.returned)
    return sum(
        (
            line.unit_price * (line.quantity - returned.get(line.product_id, 0))
            for line in order.lines or ()
        ),
        ZERO,
    )


def _net_lines(order: OrderFacts) -> tuple[SoldLine, ...]:
    """What the order contributes to each product's bucket now: nothing before it is confirmed
    and after it is reversed; its lines less returns, less partial refunds pro rata."""
    if order.lines is None or order.confirmed_on is None or order.reversed:
        return ()
    categories = dict(order.categories)
    if not order.returned and not order.refunded:
        # The usual order: what the general case below gives with nothing returned or refunded
        # (the shares are ZERO), without its lists and sums.
        return tuple(
            SoldLine(
                line.product_id,
                categories.get(line.product_id, ""),
                line.quantity,
                line.unit_price * line.quantity - ZERO,
            )
            for line in order.lines
            if line.quantity > 0
        )
    returned = dict(order.returned)
    left = [
        (line, units)
        for line in order.lines
        if (units := line.quantity - returned.get(line.product_id, 0)) > 0
    ]
    if not left:
        return ()
    if order.refunded == 0:
        shares = [ZERO] * len(left)  # what _pro_rata gives for nothing refunded, without sums
    else:
        gross = sum((line.unit_price * units for line, units in left), ZERO)
        if order.refunded > 0 and order.refunded >= gross:
            return ()
        shares = _pro_rata(
            order.refunded, [line.unit_price * units for line, units in left], order.currency
        )
    return tuple(
        SoldLine(
            line.product_id,
            categories.get(line.product_id, ""),
            units,
            line.unit_price * units - share,
        )
        for (line, units), share in zip(left, shares, strict=True)
    )


def _pro_rata(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    if amount == 0:
        return [ZERO] * len(weights)
    quantum = Decimal(1).scaleb(-minor_units(currency))
    whole = sum(weights, ZERO)
    shares = [(amount * weight / whole).quantize(quantum, ROUND_HALF_EVEN) for weight in weights]
    shares[-1] = amount - sum(shares[:-1], ZERO)
    return shares


_RULES: dict[type[Event], Callable[[Projection, Event], None]] = {
    ProductCreated: Projection._product_created,  # type: ignore[dict-item]
    ProductUpdated: Projection._product_updated,  # type: ignore[dict-item]
    StockUpdated: Projection._stock_updated,  # type: ignore[dict-item]
    StockAdjusted: Projection._stock_adjusted,  # type: ignore[dict-item]
    LowStockDetected: Projection._low_stock_detected,  # type: ignore[dict-item]
    CartStarted: Projection._cart_started,  # type: ignore[dict-item]
    OrderCreated: Projection._order_created,  # type: ignore[dict-item]
    PaymentProcessed: Projection._payment_processed,  # type: ignore[dict-item]
    OrderConfirmed: Projection._order_confirmed,  # type: ignore[dict-item]
    OrderCancelled: Projection._order_cancelled,  # type: ignore[dict-item]
    PaymentRefunded: Projection._payment_refunded,  # type: ignore[dict-item]
    ReturnReceived: Projection._return_received,  # type: ignore[dict-item]
}
