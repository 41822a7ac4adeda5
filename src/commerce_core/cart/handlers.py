from __future__ import annotations

from collections.abc import Mapping

from commerce_core.cart.commands import (
    AddToCart,
    ClearCart,
    GetCart,
    RemoveFromCart,
    SetCartQuantity,
)
from commerce_core.cart.model import Cart
from commerce_core.cart.ports import CartRepository
from commerce_core.cart.views import CartLineView, CartView
from commerce_core.catalog.model import Product
from commerce_core.shared.errors import CurrencyMismatch, UnknownProduct
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork


async def _sellable(uow: UnitOfWork, product_id: str) -> Product:
    async with uow:
        product = await uow.products.get(product_id)
    if product is None or not product.active:
        raise UnknownProduct(field="product_id")
    return product


async def view_cart(cart: Cart, uow: UnitOfWork) -> CartView:
    """The cart with the catalog's current names and prices; vanished products drop out."""
    async with uow:
        products = await uow.products.get_many(list(cart.lines))
    return _view(cart, products)


def _view(cart: Cart, products: Mapping[str, Product]) -> CartView:
    """The cart as shown, from the catalog's products (those it lacks have vanished)."""
    lines = tuple(
        CartLineView(pid, products[pid].name, qty, products[pid].price)
        for pid, qty in cart.lines.items()
        if pid in products and products[pid].active
    )
    return CartView(lines, lines[0].unit_price.currency if lines else None)


def _check_currency(cart_view: CartView, product: Product) -> None:
    if cart_view.currency and product.price.currency != cart_view.currency:
        raise CurrencyMismatch(
            f"the cart is in {cart_view.currency}; this product is in {product.price.currency}",
            field="product_id",
        )


async def add_to_cart(
    command: AddToCart, uow: UnitOfWork, carts: CartRepository, clock: Clock
) -> CartView:
    cart = await carts.get(command.user_id)
    # One read for the product and those already in the cart: it answers the checks and the view.
    wanted = list(cart.lines)
    if command.product_id not in cart.lines:
        wanted.append(command.product_id)
    async with uow:
        products = await uow.products.get_many(wanted)
    product = products.get(command.product_id)
    if product is None or not product.active:
        raise UnknownProduct(field="product_id")
    _check_currency(_view(cart, products), product)
    cart.add(product.id, command.quantity, available=product.stock_available, now=clock.now())
    await carts.save(cart)
    if cart.pending_events:
        # Carts live outside the database; the unit of work carries only their events to the
        # outbox. A crash between the two loses a funnel count, never a cart.
        async with uow:
            uow.track(cart)
            await uow.commit()
    return _view(cart, products)


async def set_cart_quantity(
    command: SetCartQuantity, uow: UnitOfWork, carts: CartRepository, clock: Clock
) -> CartView:
    cart = await carts.get(command.user_id)
    product = await _sellable(uow, command.product_id)
    cart.set_quantity(
        product.id, command.quantity, available=product.stock_available, now=clock.now()
    )
    await carts.save(cart)
    return await view_cart(cart, uow)


async def remove_from_cart(
    command: RemoveFromCart, uow: UnitOfWork, carts: CartRepository, clock: Clock
) -> CartView:
    cart = await carts.get(command.user_id)
    cart.remove(command.product_id, clock.now())
    await carts.save(cart)
    return await view_cart(cart, uow)


async def clear_cart(command: ClearCart, carts: CartRepository) -> None:
    await carts.clear(command.user_id)


async def get_cart(query: GetCart, uow: UnitOfWork, carts: CartRepository) -> CartView:
    return await view_cart(await carts.get(query.user_id), uow)


COMMAND_HANDLERS = {
    AddToCart: add_to_cart,
    SetCartQuantity: set_cart_quantity,
    RemoveFromCart: remove_from_cart,
    ClearCart: clear_cart,
    GetCart: get_cart,
}
