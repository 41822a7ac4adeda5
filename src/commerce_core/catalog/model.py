from __future__ import annotations

import re
from datetime import datetime

from attrs import define, field

from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import InvalidMoney, InvalidProduct
from commerce_core.shared.money import Money

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
_SKU = re.compile(SKU_PATTERN)
DEFAULT_LOW_STOCK_THRESHOLD = 5


def check_sku(sku: str) -> str:
    if not isinstance(sku, str) or not _SKU.match(sku):
        raise InvalidProduct(
            "sku: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="sku",
        )
    return sku


def check_text(value: str, name: str, *, max_length: int, required: bool = True) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if required and not cleaned:
        raise InvalidProduct(f"{name} is required", field=name)
    if len(cleaned) > max_length:
        raise InvalidProduct(f"{name} has more than {max_length} characters", field=name)
    return cleaned


def check_price(price: Money) -> Money:
    if price.is_negative:
        raise InvalidMoney("price must not be negative", field="price")
    return price


@define(slots=False, eq=False)
class Product(Aggregate):
    id: str
    sku: str
    name: str
    description: str
    category: str
    price: Money
    stock_available: int
    active: bool
    created_at: datetime
    updated_at: datetime
    # The version of the stock figure last applied, so an older StockUpdated never wins.
    stock_version: int = field(default=0, kw_only=True)
    version: int = field(default=0, kw_only=True)

    @classmethod
    def create(
        cls,
        *,
        product_id: str,
        sku: str,
        name: str,
        description: str,
        category: str,
        price: Money,
        initial_stock: int,
        low_stock_threshold: int,
        now: datetime,
    ) -> Product:
        if not isinstance(initial_stock, int) or not 0 <= initial_stock <= 1_000_000_000:
            raise InvalidProduct("stock must be an integer from 0", field="stock")
        product = cls(
            id=product_id,
            sku=check_sku(sku),
            name=check_text(name, "name", max_length=200),
            description=check_text(description, "description", max_length=5000, required=False),
            category=check_text(category, "category", max_length=100),
            price=check_price(price),
            stock_available=initial_stock,
            active=True,
            created_at=now,
            updated_at=now,
        )
        product._record(
            ProductCreated(
                occurred_at=now,
                correlation_id=product_id,
                product_id=product_id,
                sku=product.sku,
                name=product.name,
                description=product.description,
                category=product.category,
                price=price.amount,
                currency=price.currency,
                initial_stock=initial_stock,
                low_stock_threshold=low_stock_threshold,
            )
        )
        return product

    def update(
        self,
        *,
        now: datetime,
        name: str | None = None,
        description: str | None = None,
        category: str | None = None,
        price: Money | None = None,
        active: bool | None = None,
    ) -> None:
        if name is not None:
            self.name = check_text(name, "name", max_length=200)
        if description is not None:
            self.description = check_text(
                description, "description", max_length=5000, required=False
            )
        if category is not None:
            self.category = check_text(category, "category", max_length=100)
        if price is not None:
            self.price = check_price(price)
        if active is not None:
            self.active = active
        self.updated_at = now
        self._record(
            ProductUpdated(
                occurred_at=now,
                correlation_id=self.id,
                product_id=self.id,
                sku=self.sku,
                name=self.name,
                description=self.description,
                category=self.category,
                price=self.price.amount,
                currency=self.price.currency,
                active=self.active,
            )
        )

    def deactivate(self, now: datetime) -> None:
        if self.active:
            self.update(now=now, active=False)

    def apply_stock(self, available: int, stock_version: int) -> bool:
        """Mirrors the inventory's figure; returns False when that changes nothing: an update
        older than the one held, or the very next version with the figure held.

        Every confirmed order brings the latter (committing its reservation moves ``on_hand``
        and ``reserved`` alike), and skipping it spares a write of the product per order. The
        figure held is right for that version too; updates older than the version held are
        still refused, and no other update has the skipped version, so no stale figure can come
        in between. (A later version with the same figure is taken: one in between may differ.)
        """
        held = self.stock_version
        if stock_version <= held or (
            stock_version == held + 1 and available == self.stock_available
        ):
            return False
        self.stock_available = available
        self.stock_version = stock_version
        return True
