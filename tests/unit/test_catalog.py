from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from factories import EventLog, a_product, product_now

from adapters.system import ManualClock
from commerce_core.catalog.commands import (
    CreateProduct,
    DeactivateProduct,
    GetProduct,
    ListProducts,
    UpdateProduct,
)
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.catalog.model import Product
from commerce_core.catalog.search import SearchDocument
from commerce_core.shared.errors import (
    DuplicateSku,
    InvalidInput,
    InvalidMoney,
    InvalidProduct,
    UnknownProduct,
)
from commerce_core.shared.money import Money


def _create(**overrides):
    fields = {
        "sku": "LAP-1",
        "name": "Laptop",
        "description": "A portable computer",
        "category": "computers",
        "price": Decimal("999.00"),
        "currency": "EUR",
        "stock": 3,
    }
    return CreateProduct(**{**fields, **overrides})


async def _names(shop, **query):
    page = await shop.handle(ListProducts(**query))
    return [p.name for p in page.items]


# -- create ------------------------------------------------------------------------------------


async def test_create_product_stores_it_active_and_announces_it(shop, clock):
    log = EventLog(shop)

    product = await shop.handle(_create(low_stock_threshold=2))

    stored = await shop.handle(GetProduct(product.id))
    assert (stored.sku, stored.name, stored.category) == ("LAP-1", "Laptop", "computers")
    assert stored.price == Money.of("999.00", "EUR")
    assert stored.active
    assert stored.stock_available == 3
    assert stored.created_at == stored.updated_at == clock.now()
    [created] = log.of(ProductCreated)
    assert (created.product_id, created.sku, created.price, created.currency) == (
        product.id, "LAP-1", Decimal("999.00"), "EUR"
    )
    assert (created.initial_stock, created.low_stock_threshold) == (3, 2)


async def test_the_same_sku_twice_is_duplicate_sku(shop):
    await shop.handle(_create(sku="LAP-1"))

    with pytest.raises(DuplicateSku) as caught:
        await shop.handle(_create(sku="LAP-1", name="Another"))
    assert caught.value.code == "duplicate_sku"
    assert (await shop.handle(ListProducts())).total == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"sku": "-starts-with-dash"}, "sku"),
        ({"sku": "has space"}, "sku"),
        ({"sku": "x" * 65}, "sku"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"description": "d" * 5001}, "description"),
        ({"category": ""}, "category"),
        ({"category": "c" * 101}, "category"),
        ({"stock": -1}, "stock"),
        ({"price": Decimal("-0.01")}, "price"),
    ],
)
async def test_create_product_refuses_invalid_fields(shop, overrides, field):
    with pytest.raises((InvalidProduct, InvalidMoney)) as caught:
        await shop.handle(_create(**overrides))
    assert caught.value.field == field


@pytest.mark.parametrize(
    "overrides", [{"price": Decimal("1.001")}, {"currency": "euro"}, {"price": 9.99}]
)
async def test_create_product_refuses_bad_money(shop, overrides):
    with pytest.raises(InvalidMoney):
        await shop.handle(_create(**overrides))


async def test_empty_description_and_zero_price_and_zero_stock_are_allowed(shop):
    product = await shop.handle(_create(description="", price=Decimal("0"), stock=0))

    assert product.description == ""
    assert product.price == Money.zero("EUR")
    assert product.stock_available == 0


# -- update and deactivate ---------------------------------------------------------------------


async def test_update_changes_only_the_given_fields_and_announces_the_result(shop, clock):
    product = await shop.handle(_create())
    log = EventLog(shop)
    clock.advance(timedelta(minutes=1))

    await shop.handle(UpdateProduct(product_id=product.id, name="Laptop Pro", price=Decimal("5")))

    stored = await shop.handle(GetProduct(product.id))
    assert (stored.name, stored.description, stored.category) == (
        "Laptop Pro", "A portable computer", "computers"
    )
    assert stored.price == Money.of("5.00", "EUR")
    assert stored.updated_at == clock.now() > stored.created_at
    [updated] = log.of(ProductUpdated)
    assert (updated.name, updated.price, updated.currency, updated.active) == (
        "Laptop Pro", Decimal("5.00"), "EUR", True
    )


async def test_update_of_currency_alone_keeps_the_amount(shop):
    product = await shop.handle(_create(price=Decimal("12.50")))

    await shop.handle(UpdateProduct(product_id=product.id, currency="USD"))

    assert (await shop.handle(GetProduct(product.id))).price == Money.of("12.50", "USD")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"name": ""}, InvalidProduct),
        ({"category": " "}, InvalidProduct),
        ({"price": Decimal("-1")}, InvalidMoney),
        ({"price": Decimal("1.234")}, InvalidMoney),
    ],
)
async def test_an_invalid_update_changes_nothing(shop, change, error):
    product = await shop.handle(_create())
    log = EventLog(shop)

    with pytest.raises(error):
        await shop.handle(UpdateProduct(product_id=product.id, **change))

    stored = await shop.handle(GetProduct(product.id))
    assert (stored.name, stored.category, stored.price) == (
        "Laptop", "computers", Money.of("999.00", "EUR")
    )
    assert log.of(ProductUpdated) == []


async def test_update_of_an_unknown_product_is_unknown_product(shop):
    with pytest.raises(UnknownProduct) as caught:
        await shop.handle(UpdateProduct(product_id="nope", name="x"))
    assert caught.value.code == "unknown_product"


async def test_deactivate_hides_the_product_and_announces_it_once(shop):
    product = await shop.handle(_create())
    log = EventLog(shop)

    await shop.handle(DeactivateProduct(product.id))
    await shop.handle(DeactivateProduct(product.id))  # already inactive: nothing new

    [updated] = log.of(ProductUpdated)
    assert updated.active is False
    with pytest.raises(UnknownProduct):
        await shop.handle(GetProduct(product.id))
    assert not (await shop.handle(GetProduct(product.id, include_inactive=True))).active
    assert (await shop.handle(ListProducts())).total == 0


async def test_deactivate_an_unknown_product_is_unknown_product(shop):
    with pytest.raises(UnknownProduct):
        await shop.handle(DeactivateProduct("nope"))


async def test_update_can_reactivate_a_product(shop):
    product = await shop.handle(_create())
    await shop.handle(DeactivateProduct(product.id))

    await shop.handle(UpdateProduct(product_id=product.id, active=True))

    assert (await shop.handle(GetProduct(product.id))).active


async def test_get_of_an_unknown_product_is_unknown_product(shop):
    with pytest.raises(UnknownProduct):
        await shop.handle(GetProduct("nope"))


# -- the stock figure the catalog mirrors ------------------------------------------------------


def _product(stock_version=0):
    now = ManualClock().now()
    product = Product.create(
        product_id="p1", sku="S1", name="N", description="", category="c",
        price=Money.of("1", "EUR"), initial_stock=5, low_stock_threshold=1, now=now,
    )
    product.stock_version = stock_version
    return product


def test_apply_stock_takes_a_newer_figure():
    product = _product(stock_version=3)

    assert product.apply_stock(7, 4)
    assert (product.stock_available, product.stock_version) == (7, 4)


@pytest.mark.parametrize("older_or_same", [1, 2, 3])
def test_apply_stock_ignores_an_older_or_equal_stock_version(older_or_same):
    product = _product(stock_version=3)

    assert not product.apply_stock(99, older_or_same)
    assert (product.stock_available, product.stock_version) == (5, 3)


def test_apply_stock_skips_the_next_version_with_the_same_figure_and_still_refuses_older():
    product = _product(stock_version=3)

    assert not product.apply_stock(5, 4)
    assert (product.stock_available, product.stock_version) == (5, 3)
    assert not product.apply_stock(99, 3)  # older than what is held: refused as before
    assert product.apply_stock(6, 5)
    assert (product.stock_available, product.stock_version) == (6, 5)


def test_apply_stock_takes_a_later_version_with_the_same_figure():
    # Versions 4 and 5 may differ from the figure held; taking 5 refuses a late 4.
    product = _product(stock_version=3)

    assert product.apply_stock(5, 5)
    assert (product.stock_available, product.stock_version) == (5, 5)
    assert not product.apply_stock(9, 4)


def test_a_search_document_shows_its_product_whatever_its_stock_version():
    product = _product(stock_version=3)
    document = SearchDocument.from_product(product)

    assert attrs.evolve(document, stock_version=4).shows(product)
    assert not attrs.evolve(document, name="Old").shows(product)
    assert not attrs.evolve(document, in_stock=False).shows(product)


async def test_the_catalog_shows_the_inventorys_available_figure(shop):
    product = await shop.handle(_create(stock=3))

    stored = await product_now(shop, product.id)
    assert stored.stock_available == 3
    # The product was created with the opening figure: the stock's first update (version 1)
    # brings the same one, and is skipped.
    assert (stored.stock_version, stored.version) == (0, 1)


# -- listing and search ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
    ],
)
async def test_list_products_validates_sort_page_and_page_size(shop, query, field):
    with pytest.raises(InvalidInput) as caught:
        await shop.handle(ListProducts(**query))
    assert caught.value.field == field


@pytest.mark.parametrize("sort", ["relevance", "price", "-price", "name", "newest"])
async def test_every_documented_sort_is_accepted(shop, sort):
    await a_product(shop)

    assert (await shop.handle(ListProducts(sort=sort, page_size=100))).total == 1


async def test_search_finds_a_word_by_its_prefix(shop):
    await a_product(shop, name="Laptop Stand", description="")
    await a_product(shop, name="Desk", description="")

    assert await _names(shop, text="lapt") == ["Laptop Stand"]


async def test_search_folds_case_and_accents(shop):
    await a_product(shop, name="Café Crème", description="")
    await a_product(shop, name="Tea", description="")

    assert await _names(shop, text="cafe") == ["Café Crème"]
    assert await _names(shop, text="CAFÉ creme") == ["Café Crème"]


async def test_search_needs_every_word_to_match(shop):
    await a_product(shop, name="Red Shoe", description="")
    await a_product(shop, name="Red Hat", description="")

    assert await _names(shop, text="red shoe") == ["Red Shoe"]
    assert await _names(shop, text="red boot") == []


async def test_search_looks_in_description_and_sku_too(shop):
    await a_product(shop, name="Gizmo", description="works with a laptop", sku="GZ-1")
    await a_product(shop, name="Thing", description="", sku="ABC-99")

    assert await _names(shop, text="laptop") == ["Gizmo"]
    assert await _names(shop, text="abc-99") == ["Thing"]


async def test_a_name_match_ranks_above_a_description_match(shop, clock):
    await a_product(shop, name="Laptop", description="")
    clock.advance(timedelta(seconds=1))  # newer, so only relevance can put it second
    await a_product(shop, name="Bag", description="fits a laptop")

    assert await _names(shop, text="laptop", sort="relevance") == ["Laptop", "Bag"]


async def test_a_blank_search_text_lists_everything(shop):
    await a_product(shop, name="A")
    await a_product(shop, name="B")

    assert (await shop.handle(ListProducts(text="   "))).total == 2


async def test_inactive_products_are_not_listed(shop):
    kept = await a_product(shop, name="Kept")
    gone = await a_product(shop, name="Gone")
    await shop.handle(DeactivateProduct(gone.id))

    page = await shop.handle(ListProducts(text=None))
    assert [p.id for p in page.items] == [kept.id]
    assert await _names(shop, text="gone") == []


async def test_filter_by_category_folds_case(shop):
    await a_product(shop, name="Hammer", category="Tools")
    await a_product(shop, name="Novel", category="Books")

    assert await _names(shop, category="tools") == ["Hammer"]


async def test_filter_by_price_range_is_inclusive(shop):
    for price in ("5.00", "10.00", "15.00", "20.00"):
        await a_product(shop, name=f"P{price}", price=price)

    names = await _names(shop, min_price=Decimal("10"), max_price=Decimal("15"), sort="price")
    assert names == ["P10.00", "P15.00"]


async def test_filter_in_stock(shop):
    await a_product(shop, name="Stocked", stock=1)
    await a_product(shop, name="Empty", stock=0)

    assert await _names(shop, in_stock=True) == ["Stocked"]
    assert await _names(shop, in_stock=False) == ["Empty"]
    assert sorted(await _names(shop)) == ["Empty", "Stocked"]


async def test_sorts_by_price_name_and_newest(shop, clock):
    await a_product(shop, name="beta", price="3.00")
    clock.advance(timedelta(seconds=1))
    await a_product(shop, name="Alpha", price="9.00")
    clock.advance(timedelta(seconds=1))
    await a_product(shop, name="gamma", price="1.00")

    assert await _names(shop, sort="price") == ["gamma", "beta", "Alpha"]
    assert await _names(shop, sort="-price") == ["Alpha", "beta", "gamma"]
    assert await _names(shop, sort="name") == ["Alpha", "beta", "gamma"]
    assert await _names(shop, sort="newest") == ["gamma", "Alpha", "beta"]


async def test_pagination_gives_the_page_and_the_total(shop):
    for i in range(5):
        await a_product(shop, name=f"Item {i}", price=f"{i + 1}.00")

    pages = [
        await shop.handle(ListProducts(sort="price", page=n, page_size=2)) for n in (1, 2, 3, 4)
    ]

    assert [[p.name for p in page.items] for page in pages] == [
        ["Item 0", "Item 1"], ["Item 2", "Item 3"], ["Item 4"], []
    ]
    assert {page.total for page in pages} == {5}


async def test_total_counts_matches_not_the_whole_catalog(shop):
    for i in range(3):
        await a_product(shop, name=f"Laptop {i}")
    await a_product(shop, name="Desk")

    page = await shop.handle(ListProducts(text="laptop", page_size=1))
    assert (len(page.items), page.total) == (1, 3)
