"""In-memory repositories: each transaction sees private copies, kept in an identity map."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from adapters.memory.store import MemoryStore
from commerce_core.catalog.model import Product
from commerce_core.catalog.ports import ProductFilter, ProductPage
from commerce_core.identity.model import User
from commerce_core.inventory.model import Movement, Reservation, ReservationStatus, Stock
from commerce_core.notifications.model import Notification
from commerce_core.ordering.model import Order
from commerce_core.payments.model import Payment

T = TypeVar("T")


def public_state(obj: object) -> dict[str, Any]:
    """The persisted attributes: everything but the transient ones (a leading underscore)."""
    return {k: v for k, v in obj.__dict__.items() if k[0] != "_"}


def with_state(obj: T, state: dict[str, Any]) -> T:
    """A new object of ``obj``'s class whose attributes are ``state`` itself, not a copy of it:
    the caller hands ``state`` over and changes it no more."""
    clone: T = object.__new__(type(obj))
    clone.__dict__ = state
    return clone


def private_copy(obj: T) -> T:
    """A shallow copy without the transient state (pending events and movements).

    Shallow is enough: aggregates hold immutable values (tuples, frozen value objects).
    """
    return with_state(obj, public_state(obj))


def changed_state(aggregate: Any, snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """The aggregate's public state if it differs from ``snapshot``, the one it was read with."""
    current: dict[str, Any] = aggregate.__dict__
    if current == snapshot:
        # No transient attribute and nothing changed: the common case, without a copy.
        return None
    state = public_state_after(aggregate, snapshot)
    return None if state == snapshot else state


def public_state_after(aggregate: Any, snapshot: dict[str, Any]) -> dict[str, Any]:
    """``public_state(aggregate)`` for an aggregate read with ``snapshot``, found faster: only
    the keys the snapshot lacks can be transient (a snapshot holds public state only), usually
    the one or two an aggregate keeps while it has events or movements pending, so the state is
    a plain copy less those instead of a filter over every key."""
    current: dict[str, Any] = aggregate.__dict__
    state = current.copy()
    if current.keys() != snapshot.keys():
        for key in current.keys() - snapshot.keys():
            if key[0] == "_":
                del state[key]
    return state


class _Repository(Generic[T]):
    """One table of the store as a transaction sees it.

    ``_seen`` is the transaction's identity map: the aggregate handed out (or added) per key.
    ``_loaded`` holds, per key read from the store, the stored state it was read with: the
    dirty-check snapshot and the version the commit checks. A key of ``_seen`` without one is a
    new row. The unit of work's commit reads both, and so needs no record per aggregate.
    """

    table: str

    def __init__(
        self, store: MemoryStore, handed_out: list[Any], in_use: list[_Repository[Any]]
    ) -> None:
        self._store = store
        self._rows: dict[str, Any] = getattr(store, self.table)  # store.table, one call less
        # The unit of work's list of what its repositories hand out, in that order (its events
        # are collected from them at commit). The list, not the unit of work: nothing here
        # points back at the unit of work, so it and its repositories form no reference cycle
        # and are freed when the handler returns rather than by the cyclic garbage collector.
        self._handed_out = handed_out
        # The unit of work's list of the repositories its transaction has used: a repository
        # joins it with its first aggregate (``_seen`` was empty), so a commit checks, and a new
        # transaction forgets, only these, however many repositories a reused unit of work has.
        self._in_use = in_use
        self._seen: dict[str, T] = {}
        self._loaded: dict[str, dict[str, Any]] = {}

    def _key(self, aggregate: T) -> str:
        raise NotImplementedError

    def add(self, aggregate: T) -> None:
        key = self._key(aggregate)
        if not self._seen:
            self._in_use.append(self)
        self._seen[key] = aggregate
        self._loaded.pop(key, None)  # a new row, even where one was read under its key
        self._handed_out.append(aggregate)

    async def get(self, key: str) -> T | None:
        return self._load(key)

    def _load(self, key: str) -> T | None:
        seen = self._seen.get(key)
        if seen is not None:
            return seen
        stored = self._rows.get(key)
        if stored is None:
            return None
        # A stored row holds public state only (the unit of work's commit writes it so) and is
        # never changed in place (a commit stores a new object): its own attributes serve as the
        # dirty-check snapshot, and one copy of them is the private copy's.
        state = stored.__dict__
        copy: T = object.__new__(type(stored))  # with_state(), inlined on this hot path
        copy.__dict__ = state.copy()
        if not self._seen:
            self._in_use.append(self)
        self._seen[key] = copy
        self._loaded[key] = state
        self._handed_out.append(copy)
        return copy

    def _load_many(self, keys: Sequence[str]) -> dict[str, T]:
        found = {}
        for key in keys:
            aggregate = self._load(key)
            if aggregate is not None:
                found[key] = aggregate
        return found


class MemoryUserRepository(_Repository[User]):
    table = "users"

    def _key(self, aggregate: User) -> str:
        return aggregate.id

    async def get_by_email(self, email: str) -> User | None:
        user_id = self._store.user_ids_by_email.get(email)
        return self._load(user_id) if user_id else None


def fold(text: str) -> str:
    """Case and accents folded: "Café" and "cafe" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_SORT_KEYS: dict[str, Callable[[Product], Any]] = {
    "price": lambda p: (p.price.amount, p.name),
    "-price": lambda p: (-p.price.amount, p.name),
    "name": lambda p: (fold(p.name), p.id),
    "newest": lambda p: (-p.created_at.timestamp(), p.id),
}


class MemoryProductRepository(_Repository[Product]):
    table = "products"

    def _key(self, aggregate: Product) -> str:
        return aggregate.id

    async def get_by_sku(self, sku: str) -> Product | None:
        product_id = self._store.product_ids_by_sku.get(sku)
        return self._load(product_id) if product_id else None

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        return self._load_many(product_ids)

    async def search(self, criteria: ProductFilter) -> ProductPage:
        words = fold(criteria.text).split() if criteria.text else []
        category = fold(criteria.category) if criteria.category else None
        scored: list[tuple[int, Product]] = []
        for product in self._rows.values():
            if not product.active:
                continue
            if category is not None and fold(product.category) != category:
                continue
            if criteria.min_price is not None and product.price.amount < criteria.min_price:
                continue
            if criteria.max_price is not None and product.price.amount > criteria.max_price:
                continue
            if criteria.in_stock is not None and (product.stock_available > 0) != criteria.in_stock:
                continue
            score = _relevance(product, words)
            if score is not None:
                scored.append((score, product))
        if criteria.sort == "relevance":
            scored.sort(key=lambda sp: (-sp[0], -sp[1].created_at.timestamp(), sp[1].id))
            ordered = [p for _, p in scored]
        else:
            ordered = sorted((p for _, p in scored), key=_SORT_KEYS[criteria.sort])
        page = ordered[criteria.offset : criteria.offset + criteria.limit]
        return ProductPage(tuple(private_copy(p) for p in page), len(ordered))


def _relevance(product: Product, words: list[str]) -> int | None:
    """Every word must match (as a prefix of a word); a match in the name weighs more."""
    if not words:
        return 0
    name_words = fold(product.name).split()
    other_words = fold(f"{product.description} {product.sku} {product.category}").split()
    score = 0
    for word in words:
        if any(w.startswith(word) for w in name_words):
            score += 3
        elif any(w.startswith(word) for w in other_words):
            score += 1
        else:
            return None
    return score


class MemoryStockRepository(_Repository[Stock]):
    table = "stock"

    def _key(self, aggregate: Stock) -> str:
        return aggregate.product_id

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Stock]:
        return self._load_many(product_ids)

    async def movements(self, product_id: str, *, limit: int = 1000) -> list[Movement]:
        return list(self._store.movements.get(product_id, ())[-limit:])

    async def below_threshold(self) -> list[Stock]:
        return [
            private_copy(s) for s in self._rows.values() if s.available <= s.low_stock_threshold
        ]


class MemoryReservationRepository(_Repository[Reservation]):
    table = "reservations"

    def _key(self, aggregate: Reservation) -> str:
        return aggregate.order_id

    async def expired(self, now: datetime, *, limit: int) -> list[Reservation]:
        overdue = sorted(
            (
                r
                for r in self._rows.values()
                if r.status is ReservationStatus.RESERVED and r.expires_at <= now
            ),
            key=lambda r: r.expires_at,
        )
        return [private_copy(r) for r in overdue[:limit]]


class MemoryOrderRepository(_Repository[Order]):
    table = "orders"

    def _key(self, aggregate: Order) -> str:
        return aggregate.id

    async def list_for_user(
        self, user_id: str, *, offset: int, limit: int
    ) -> tuple[list[Order], int]:
        ids = self._store.order_ids_by_user.get(user_id, [])
        newest_first = list(reversed(ids))[offset : offset + limit]
        return [private_copy(self._rows[i]) for i in newest_first], len(ids)


class MemoryPaymentRepository(_Repository[Payment]):
    table = "payments"

    def _key(self, aggregate: Payment) -> str:
        return aggregate.order_id


class MemoryNotificationRepository(_Repository[Notification]):
    table = "notifications"

    def _key(self, aggregate: Notification) -> str:
        return aggregate.id

    async def for_user(self, user_id: str) -> list[Notification]:
        return [private_copy(n) for n in self._rows.values() if n.user_id == user_id]

    async def count_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for notification in self._rows.values():
            status = notification.status.value
            counts[status] = counts.get(status, 0) + 1
        return counts

    async def due_for_retry(self, now: datetime, *, limit: int) -> list[Notification]:
        due = sorted(
            (n for n in self._rows.values() if n.is_due(now)),
            key=lambda n: n.next_attempt_at or n.created_at,
        )
        return [private_copy(n) for n in due[:limit]]
