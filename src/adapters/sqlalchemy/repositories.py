"""SQL repositories. Like the in-memory ones, each keeps an identity map per transaction and hands
what it loads or adds to the unit of work, which writes it at commit."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.memory.repositories import fold
from adapters.sqlalchemy import rows
from adapters.sqlalchemy import tables as t
from commerce_core.catalog.model import Product
from commerce_core.catalog.ports import ProductFilter, ProductPage
from commerce_core.identity.model import User
from commerce_core.inventory.model import Movement, Reservation, ReservationStatus, Stock
from commerce_core.notifications.model import Notification
from commerce_core.ordering.model import Order, OrderLine
from commerce_core.payments.model import Payment

if TYPE_CHECKING:
    from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork

T = TypeVar("T")


class _Repository(Generic[T]):
    table: sa.Table
    key_column: str
    build: Callable[[Row[Any]], T]

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self._seen: dict[str, T] = {}

    @property
    def _conn(self) -> AsyncConnection:
        return self._uow.connection

    def begin(self) -> None:
        self._seen = {}

    def _key(self, aggregate: T) -> str:
        return str(getattr(aggregate, self.key_column))

    def add(self, aggregate: T) -> None:
        self._seen[self._key(aggregate)] = aggregate
        self._uow.register(self.table.name, aggregate, is_new=True)

    def _adopt(self, aggregate: T) -> T:
        """The instance this transaction already holds for the key, else ``aggregate``, tracked."""
        key = self._key(aggregate)
        seen = self._seen.get(key)
        if seen is not None:
            return seen
        self._seen[key] = aggregate
        self._uow.register(self.table.name, aggregate, is_new=False)
        return aggregate

    async def get(self, key: str) -> T | None:
        seen = self._seen.get(key)
        if seen is not None:
            return seen
        found = await self._uow.fetch_by_keys(self.table, self.key_column, [key])
        return self._adopt(type(self).build(found[0])) if found else None

    async def _get_where(self, condition: Any) -> T | None:
        row = (await self._conn.execute(sa.select(self.table).where(condition))).first()
        return None if row is None else self._adopt(type(self).build(row))

    async def _get_many(self, keys: Sequence[str]) -> dict[str, T]:
        found = {k: self._seen[k] for k in keys if k in self._seen}
        wanted = list({k for k in keys if k not in found})
        if wanted:
            for row in await self._uow.fetch_by_keys(self.table, self.key_column, wanted):
                aggregate = self._adopt(type(self).build(row))
                found[self._key(aggregate)] = aggregate
        return {k: found[k] for k in keys if k in found}


class SqlUserRepository(_Repository[User]):
    table = t.users
    key_column = "id"
    build = staticmethod(rows.user_from)

    async def get_by_email(self, email: str) -> User | None:
        for user in self._seen.values():
            if user.email == email:
                return user
        return await self._get_where(t.users.c.email == email)


class SqlProductRepository(_Repository[Product]):
    table = t.products
    key_column = "id"
    build = staticmethod(rows.product_from)

    async def get_by_sku(self, sku: str) -> Product | None:
        for product in self._seen.values():
            if product.sku == sku:
                return product
        return await self._get_where(t.products.c.sku == sku)

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        return await self._get_many(product_ids)

    async def search(self, criteria: ProductFilter) -> ProductPage:
        p = t.products
        conditions: list[Any] = [p.c.active.is_(True)]
        if criteria.category is not None:
            conditions.append(p.c.category_key == fold(criteria.category))
        if criteria.min_price is not None:
            conditions.append(p.c.price_milli >= math.ceil(criteria.min_price * 1000))
        if criteria.max_price is not None:
            conditions.append(p.c.price_milli <= math.floor(criteria.max_price * 1000))
        if criteria.in_stock is not None:
            conditions.append(
                p.c.stock_available > 0 if criteria.in_stock else p.c.stock_available <= 0
            )
        score: Any = sa.literal(0)
        for word in fold(criteria.text).split() if criteria.text else []:
            # A word matches when it starts a word of the folded text (memory: w.startswith).
            pattern = "% " + _escape_like(word) + "%"
            in_name = (sa.literal(" ") + p.c.name_key).like(pattern, escape="\\")
            in_other = (sa.literal(" ") + p.c.other_key).like(pattern, escape="\\")
            conditions.append(sa.or_(in_name, in_other))
            score = score + sa.case((in_name, 3), else_=1)
        where = sa.and_(*conditions)
        order_by = {
            "relevance": [score.desc(), p.c.created_at.desc(), p.c.id],
            "price": [p.c.price_milli, p.c.name],
            "-price": [p.c.price_milli.desc(), p.c.name],
            "name": [p.c.name_key, p.c.id],
            "newest": [p.c.created_at.desc(), p.c.id],
        }[criteria.sort]
        count = sa.select(sa.func.count()).select_from(p).where(where)
        total = (await self._conn.execute(count)).scalar_one()
        result = await self._conn.execute(
            sa.select(p).where(where).order_by(*order_by)
            .offset(criteria.offset).limit(criteria.limit)
        )
        return ProductPage(tuple(rows.product_from(row) for row in result), total)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlStockRepository(_Repository[Stock]):
    table = t.stock
    key_column = "product_id"
    build = staticmethod(rows.stock_from)

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Stock]:
        return await self._get_many(product_ids)

    async def movements(self, product_id: str, *, limit: int = 1000) -> list[Movement]:
        m = t.stock_movements
        result = await self._conn.execute(
            sa.select(m).where(m.c.product_id == product_id).order_by(m.c.id.desc()).limit(limit)
        )
        return [rows.movement_from(row) for row in reversed(result.all())]

    async def below_threshold(self) -> list[Stock]:
        s = t.stock
        result = await self._conn.execute(
            sa.select(s)
            .where(s.c.on_hand - s.c.reserved <= s.c.low_stock_threshold)
            .order_by(s.c.product_id)
        )
        return [rows.stock_from(row) for row in result]


class SqlReservationRepository(_Repository[Reservation]):
    table = t.reservations
    key_column = "order_id"
    build = staticmethod(rows.reservation_from)

    async def expired(self, now: datetime, *, limit: int) -> list[Reservation]:
        r = t.reservations
        result = await self._conn.execute(
            sa.select(r)
            .where(r.c.status == ReservationStatus.RESERVED.value, r.c.expires_at <= now)
            .order_by(r.c.expires_at, r.c.order_id)
            .limit(limit)
        )
        return [rows.reservation_from(row) for row in result]


class SqlOrderRepository(_Repository[Order]):
    """An order and its lines in two queries; a page of orders and all their lines in three."""

    table = t.orders
    key_column = "id"

    async def get(self, order_id: str) -> Order | None:
        seen = self._seen.get(order_id)
        if seen is not None:
            return seen
        found = await self._uow.fetch_by_keys(t.orders, "id", [order_id])
        if not found:
            return None
        lines = await self._uow.fetch_by_keys(t.order_lines, "order_id", [order_id], "position")
        return self._adopt(rows.order_from(found[0], tuple(rows.line_from(r) for r in lines)))

    async def _lines(self, order_ids: list[str]) -> dict[str, tuple[OrderLine, ...]]:
        ol = t.order_lines
        result = await self._conn.execute(
            sa.select(ol).where(ol.c.order_id.in_(order_ids)).order_by(ol.c.order_id, ol.c.position)
        )
        grouped: dict[str, list[OrderLine]] = {}
        for row in result:
            grouped.setdefault(row.order_id, []).append(rows.line_from(row))
        return {k: tuple(v) for k, v in grouped.items()}

    async def list_for_user(
        self, user_id: str, *, offset: int, limit: int
    ) -> tuple[list[Order], int]:
        o = t.orders
        total = (await self._conn.execute(
            sa.select(sa.func.count()).select_from(o).where(o.c.user_id == user_id)
        )).scalar_one()
        page = (await self._conn.execute(
            sa.select(o).where(o.c.user_id == user_id).order_by(o.c.seq.desc())
            .offset(offset).limit(limit)
        )).all()
        lines = await self._lines([row.id for row in page]) if page else {}
        return [rows.order_from(row, lines.get(row.id, ())) for row in page], total


class SqlPaymentRepository(_Repository[Payment]):
    table = t.payments
    key_column = "order_id"
    build = staticmethod(rows.payment_from)


class SqlNotificationRepository(_Repository[Notification]):
    table = t.notifications
    key_column = "id"
    build = staticmethod(rows.notification_from)

    async def for_user(self, user_id: str) -> list[Notification]:
        n = t.notifications
        result = await self._conn.execute(
            sa.select(n).where(n.c.user_id == user_id).order_by(n.c.seq)
        )
        return [rows.notification_from(row) for row in result]

    async def count_by_status(self) -> dict[str, int]:
        n = t.notifications
        result = await self._conn.execute(
            sa.select(n.c.status, sa.func.count()).group_by(n.c.status)
        )
        return {status: int(count) for status, count in result}

    async def due_for_retry(self, now: datetime, *, limit: int) -> list[Notification]:
        n = t.notifications
        due_at = sa.func.coalesce(n.c.next_attempt_at, n.c.created_at)
        result = await self._conn.execute(
            sa.select(n)
            .where(n.c.status != "SENT", n.c.gave_up.is_(False), due_at <= now)
            .order_by(due_at, n.c.seq)
            .limit(limit)
        )
        return [rows.notification_from(row) for row in result]
