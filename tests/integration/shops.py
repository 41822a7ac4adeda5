"""Building SQL-backed shops for the integration tests, and reading their tables directly."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.security.passwords import Argon2PasswordHasher
from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.database import Database
from commerce_core.cart.model import Cart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.model import Email, Role, User
from entrypoints.container import Container, build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings


def sql_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    return str(request.getfixturevalue("postgres_database"))


def sql_container(url: str, **settings: Any) -> Container:
    settings.setdefault("payment_timeout_s", 30.0)
    container = build_container(Settings(database_url=url, **settings))
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    return container


@contextlib.asynccontextmanager
async def sql_shop(url: str, **settings: Any) -> AsyncIterator[Shop]:
    async with open_shop(container=sql_container(url, **settings)) as shop:
        yield shop


def database_of(shop: Shop) -> Database:
    database: Database = shop.container.database()
    return database


async def a_product(shop: Shop, stock: int, sku: str = "HOT-1") -> str:
    product = await shop.handle(CreateProduct(
        sku=sku, name="Hot item", description="", category="tools", price=Decimal("5.00"),
        currency="EUR", stock=stock, low_stock_threshold=0,
    ))
    return str(product.id)


async def customers_with_carts(shop: Shop, product_id: str, count: int) -> list[str]:
    """Customers stored directly (no password hashing), each with one unit in the cart."""
    now = datetime.now(UTC)
    users = [
        User(f"cust{i:05d}", f"cust{i:05d}@example.com", "Customer", "$argon2id$unused",
             Role.CUSTOMER, now)
        for i in range(count)
    ]
    Email(users[0].email)
    async with shop.container.uow() as uow:
        for user in users:
            uow.users.add(user)
        await uow.commit()
    carts = shop.container.carts()
    for user in users:
        await carts.save(Cart(user.id, {product_id: 1}, now))
    return [u.id for u in users]


async def scalar(shop: Shop, statement: Any) -> Any:
    async with database_of(shop).transaction() as conn:
        return (await conn.execute(statement)).scalar_one()


async def order_statuses(shop: Shop) -> dict[str, int]:
    async with database_of(shop).transaction() as conn:
        result = await conn.execute(
            sa.select(t.orders.c.status, sa.func.count()).group_by(t.orders.c.status)
        )
        return {row[0]: row[1] for row in result}


async def stock_figures(shop: Shop, product_id: str) -> tuple[int, int, int]:
    """(on_hand, reserved, sum of the movement log's on_hand deltas)."""
    async with database_of(shop).transaction() as conn:
        row = (await conn.execute(
            sa.select(t.stock.c.on_hand, t.stock.c.reserved)
            .where(t.stock.c.product_id == product_id)
        )).one()
        logged = (await conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(t.stock_movements.c.delta_on_hand), 0))
            .where(t.stock_movements.c.product_id == product_id)
        )).scalar_one()
    return row[0], row[1], int(logged)
