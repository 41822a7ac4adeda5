from decimal import Decimal

import pytest
from factories import a_product

from commerce_core.cart.commands import (
    AddToCart,
    ClearCart,
    GetCart,
    RemoveFromCart,
    SetCartQuantity,
)
from commerce_core.cart.model import MAX_LINES, Cart
from commerce_core.catalog.commands import DeactivateProduct, UpdateProduct
from commerce_core.shared.errors import (
    CartItemNotFound,
    CurrencyMismatch,
    InsufficientStock,
    InvalidInput,
    InvalidQuantity,
    UnknownProduct,
)
from commerce_core.shared.money import Money

USER = "user-1"


def _lines(view):
    return [(line.product_id, line.quantity) for line in view.items]


async def test_an_unknown_user_has_an_empty_cart(shop):
    view = await shop.handle(GetCart(USER))

    assert view.items == ()
    assert view.currency is None
    assert view.total is None


async def test_add_puts_a_line_with_the_catalog_name_and_price(shop):
    product = await a_product(shop, name="Mug", price="4.50")

    view = await shop.handle(AddToCart(USER, product.id, 2))

    [line] = view.items
    assert (line.product_id, line.name, line.quantity) == (product.id, "Mug", 2)
    assert line.unit_price == Money.of("4.50", "EUR")
    assert line.subtotal == Money.of("9.00", "EUR")
    assert view.total == Money.of("9.00", "EUR")
    assert view.currency == "EUR"


async def test_adding_the_same_product_again_adds_to_its_line(shop):
    product = await a_product(shop, stock=10)

    await shop.handle(AddToCart(USER, product.id, 2))
    view = await shop.handle(AddToCart(USER, product.id, 3))

    assert _lines(view) == [(product.id, 5)]


async def test_total_sums_every_line(shop):
    mug = await a_product(shop, price="4.50")
    pen = await a_product(shop, price="1.25")
    await shop.handle(AddToCart(USER, mug.id, 2))

    view = await shop.handle(AddToCart(USER, pen.id, 4))

    assert view.total == Money.of("14.00", "EUR")


async def test_adding_more_than_available_is_insufficient_stock(shop):
    product = await a_product(shop, stock=3)
    await shop.handle(AddToCart(USER, product.id, 2))

    with pytest.raises(InsufficientStock) as caught:
        await shop.handle(AddToCart(USER, product.id, 2))  # 4 > 3, counting the line
    assert caught.value.code == "insufficient_stock"
    assert caught.value.context == {"product_id": product.id, "requested": 4, "available": 3}
    assert _lines(await shop.handle(GetCart(USER))) == [(product.id, 2)]


async def test_exactly_the_available_quantity_can_be_added(shop):
    product = await a_product(shop, stock=3)

    assert _lines(await shop.handle(AddToCart(USER, product.id, 3))) == [(product.id, 3)]


@pytest.mark.parametrize("quantity", [0, -1, 1001, True, 1.0, "2"])
async def test_add_refuses_a_quantity_outside_1_to_1000(shop, quantity):
    product = await a_product(shop, stock=5000)

    with pytest.raises(InvalidQuantity) as caught:
        await shop.handle(AddToCart(USER, product.id, quantity))
    assert caught.value.code == "invalid_quantity"
    assert caught.value.field == "quantity"


async def test_a_line_cannot_grow_past_1000_units(shop):
    product = await a_product(shop, stock=5000)
    await shop.handle(AddToCart(USER, product.id, 1000))

    with pytest.raises(InvalidInput) as caught:
        await shop.handle(AddToCart(USER, product.id, 1))
    assert caught.value.field == "quantity"


async def test_adding_an_unknown_product_is_unknown_product(shop):
    with pytest.raises(UnknownProduct) as caught:
        await shop.handle(AddToCart(USER, "no-such-product", 1))
    assert caught.value.code == "unknown_product"


async def test_adding_an_inactive_product_is_unknown_product(shop):
    product = await a_product(shop)
    await shop.handle(DeactivateProduct(product.id))

    with pytest.raises(UnknownProduct):
        await shop.handle(AddToCart(USER, product.id, 1))


async def test_a_product_in_another_currency_is_currency_mismatch(shop):
    euro = await a_product(shop, currency="EUR")
    dollar = await a_product(shop, currency="USD")
    await shop.handle(AddToCart(USER, euro.id, 1))

    with pytest.raises(CurrencyMismatch) as caught:
        await shop.handle(AddToCart(USER, dollar.id, 1))
    assert caught.value.code == "currency_mismatch"
    assert _lines(await shop.handle(GetCart(USER))) == [(euro.id, 1)]


async def test_set_quantity_replaces_the_lines_quantity(shop):
    product = await a_product(shop, stock=10)
    await shop.handle(AddToCart(USER, product.id, 5))

    view = await shop.handle(SetCartQuantity(USER, product.id, 2))

    assert _lines(view) == [(product.id, 2)]


async def test_set_quantity_of_a_product_not_in_the_cart_is_cart_item_not_found(shop):
    product = await a_product(shop)

    with pytest.raises(CartItemNotFound) as caught:
        await shop.handle(SetCartQuantity(USER, product.id, 1))
    assert caught.value.code == "cart_item_not_found"


async def test_set_quantity_above_available_is_insufficient_stock(shop):
    product = await a_product(shop, stock=4)
    await shop.handle(AddToCart(USER, product.id, 1))

    with pytest.raises(InsufficientStock):
        await shop.handle(SetCartQuantity(USER, product.id, 5))


@pytest.mark.parametrize("quantity", [0, 1001])
async def test_set_quantity_refuses_a_quantity_outside_1_to_1000(shop, quantity):
    product = await a_product(shop, stock=5000)
    await shop.handle(AddToCart(USER, product.id, 1))

    with pytest.raises(InvalidQuantity):
        await shop.handle(SetCartQuantity(USER, product.id, quantity))


async def test_remove_drops_the_line_and_removing_again_is_harmless(shop):
    keep = await a_product(shop)
    drop = await a_product(shop)
    await shop.handle(AddToCart(USER, keep.id, 1))
    await shop.handle(AddToCart(USER, drop.id, 1))

    await shop.handle(RemoveFromCart(USER, drop.id))
    view = await shop.handle(RemoveFromCart(USER, drop.id))

    assert _lines(view) == [(keep.id, 1)]


async def test_clear_empties_the_cart(shop):
    product = await a_product(shop)
    await shop.handle(AddToCart(USER, product.id, 1))

    await shop.handle(ClearCart(USER))

    assert (await shop.handle(GetCart(USER))).items == ()


async def test_carts_belong_to_their_user(shop):
    product = await a_product(shop)
    await shop.handle(AddToCart(USER, product.id, 1))

    assert (await shop.handle(GetCart("someone-else"))).items == ()


async def test_the_cart_shows_the_current_catalog_price_and_name(shop):
    product = await a_product(shop, name="Mug", price="4.50")
    await shop.handle(AddToCart(USER, product.id, 2))

    await shop.handle(UpdateProduct(product_id=product.id, name="Big Mug", price=Decimal("6.00")))

    [line] = (await shop.handle(GetCart(USER))).items
    assert (line.name, line.unit_price) == ("Big Mug", Money.of("6.00", "EUR"))
    assert (await shop.handle(GetCart(USER))).total == Money.of("12.00", "EUR")


async def test_a_deactivated_product_drops_out_of_the_cart_view(shop):
    kept = await a_product(shop)
    gone = await a_product(shop)
    await shop.handle(AddToCart(USER, kept.id, 1))
    await shop.handle(AddToCart(USER, gone.id, 1))

    await shop.handle(DeactivateProduct(gone.id))

    assert _lines(await shop.handle(GetCart(USER))) == [(kept.id, 1)]


def test_a_cart_holds_at_most_100_products(clock):
    cart = Cart(USER)
    for i in range(MAX_LINES):
        cart.add(f"p{i}", 1, available=10, now=clock.now())

    with pytest.raises(InvalidInput) as caught:
        cart.add("one-more", 1, available=10, now=clock.now())
    assert caught.value.field == "product_id"
    cart.add("p0", 1, available=10, now=clock.now())  # an existing line may still grow
    assert cart.lines["p0"] == 2
