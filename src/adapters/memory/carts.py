from __future__ import annotations

from commerce_core.cart.model import Cart


class MemoryCartRepository:
    def __init__(self) -> None:
        self._carts: dict[str, Cart] = {}

    async def get(self, user_id: str) -> Cart:
        stored = self._carts.get(user_id)
        if stored is None:
            return Cart(user_id)
        return Cart(user_id, dict(stored.lines), stored.updated_at)

    async def save(self, cart: Cart) -> None:
        if cart.lines:
            self._carts[cart.user_id] = Cart(cart.user_id, dict(cart.lines), cart.updated_at)
        else:
            self._carts.pop(cart.user_id, None)

    async def clear(self, user_id: str) -> None:
        self._carts.pop(user_id, None)
