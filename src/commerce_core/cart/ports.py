from __future__ import annotations

from typing import Protocol

from commerce_core.cart.model import Cart


class CartRepository(Protocol):
    """Carts live apart from the orders' database (in Redis when it is configured)."""

    async def get(self, user_id: str) -> Cart:
        """The customer's cart; an empty one when there is none."""
        ...

    async def save(self, cart: Cart) -> None:
        """Replaces the stored cart atomically."""
        ...

    async def clear(self, user_id: str) -> None: ...
