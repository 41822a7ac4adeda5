"""Suppliers and their receipts, the same on every backend: a delivery books stock once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from commerce_core.catalog.commands import CreateProduct
from commerce_core.inventory.commands import GetStock, ListMovements
from commerce_core.inventory.model import MovementReason
from commerce_core.inventory.supplier_commands import (
    CreateSupplier,
    ReceiveDelivery,
    ReceiveSupplierShipment,
)
from commerce_core.inventory.suppliers import (
    STAFF_SUPPLIER_ID,
    InvalidApiKey,
    InvalidReceipt,
    hash_api_key,
)
from commerce_core.shared.errors import ConcurrencyConflict
from entrypoints.embedded import Shop


async def _product(shop: Shop, sku: str, stock: int = 3) -> str:
    product = await shop.handle(CreateProduct(
        sku=sku, name="Widget", description="", category="tools", price=Decimal("2.00"),
        currency="EUR", stock=stock,
    ))
    return str(product.id)


async def test_a_supplier_is_found_by_the_hash_of_its_key_only(shop: Shop) -> None:
    supplier, api_key = await shop.handle(CreateSupplier("Acme"))
    assert supplier.api_key_hash == hash_api_key(api_key) != api_key
    async with shop.container.uow() as uow:
        found = await uow.suppliers.get_by_key_hash(hash_api_key(api_key))
        assert found is not None
        assert (found.id, found.name, found.version) == (supplier.id, "Acme", 1)
        assert await uow.suppliers.get_by_key_hash(hash_api_key("sk_wrong")) is None


async def test_a_receipt_raises_stock_as_supplier_movements_once(shop: Shop) -> None:
    first = await _product(shop, "R-1", stock=3)
    second = await _product(shop, "R-2", stock=0)
    _, api_key = await shop.handle(CreateSupplier("Acme"))
    command = ReceiveSupplierShipment(
        api_key=api_key, reference="PO-7", lines=(("R-1", 5), ("R-2", 2), ("R-1", 1))
    )
    receipt = await shop.handle(command)
    replay = await shop.handle(command)
    assert replay.id == receipt.id
    assert [(line.sku, line.product_id, line.quantity) for line in replay.lines] == [
        ("R-1", first, 5), ("R-2", second, 2), ("R-1", first, 1)]
    assert (await shop.handle(GetStock(first))).on_hand == 9
    assert (await shop.handle(GetStock(second))).on_hand == 2
    moves = await shop.handle(ListMovements(first))
    assert [(m.delta_on_hand, m.reason, m.reference) for m in moves[1:]] == [
        (5, MovementReason.SUPPLIER, "PO-7"), (1, MovementReason.SUPPLIER, "PO-7")]


async def test_concurrent_replays_book_the_delivery_once(shop: Shop) -> None:
    product = await _product(shop, "C-1", stock=0)
    _, api_key = await shop.handle(CreateSupplier("Acme"))
    command = ReceiveSupplierShipment(api_key=api_key, reference="PO-1", lines=(("C-1", 4),))
    receipts = await asyncio.gather(*(shop.handle(command) for _ in range(4)))
    assert len({r.id for r in receipts}) == 1
    assert (await shop.handle(GetStock(product))).on_hand == 4


async def test_a_second_receipt_with_the_same_reference_is_refused_at_commit(shop: Shop) -> None:
    await _product(shop, "D-1")
    _, api_key = await shop.handle(CreateSupplier("Acme"))
    receipt = await shop.handle(
        ReceiveSupplierShipment(api_key=api_key, reference="PO-1", lines=(("D-1", 1),)))
    clone = type(receipt)("other-id", receipt.supplier_id, "PO-1", receipt.lines,
                          receipt.received_at)
    async with shop.container.uow() as uow:
        uow.supplier_receipts.add(clone)
        with pytest.raises(ConcurrencyConflict):
            await uow.commit()


async def test_the_same_reference_from_two_suppliers_is_two_deliveries(shop: Shop) -> None:
    product = await _product(shop, "S-1", stock=0)
    for name in ("Acme", "Globex"):
        _, api_key = await shop.handle(CreateSupplier(name))
        await shop.handle(
            ReceiveSupplierShipment(api_key=api_key, reference="PO-1", lines=(("S-1", 2),)))
    assert (await shop.handle(GetStock(product))).on_hand == 4


async def test_an_unknown_sku_or_key_changes_nothing(shop: Shop) -> None:
    product = await _product(shop, "U-1", stock=1)
    _, api_key = await shop.handle(CreateSupplier("Acme"))
    with pytest.raises(InvalidReceipt) as refused:
        await shop.handle(ReceiveSupplierShipment(
            api_key=api_key, reference="PO-1", lines=(("U-1", 3), ("NOPE", 1))))
    assert refused.value.field == "lines.1.sku"
    with pytest.raises(InvalidApiKey):
        await shop.handle(ReceiveSupplierShipment(
            api_key="sk_wrong", reference="PO-1", lines=(("U-1", 3),)))
    assert (await shop.handle(GetStock(product))).on_hand == 1
    # the reference stays free: the corrected delivery books
    await shop.handle(
        ReceiveSupplierShipment(api_key=api_key, reference="PO-1", lines=(("U-1", 3),)))
    assert (await shop.handle(GetStock(product))).on_hand == 4


async def test_a_staff_delivery_is_booked_once_per_reference(shop: Shop) -> None:
    first = await _product(shop, "T-1", stock=1)
    second = await _product(shop, "T-2", stock=0)
    command = ReceiveDelivery(reference="DN-5", lines=(("T-1", 3), ("T-2", 2), ("T-1", 1)))
    outcomes = await asyncio.gather(*(shop.handle(command) for _ in range(4)))
    assert sorted(o.replayed for o in outcomes) == [False, True, True, True]
    assert len({o.receipt.id for o in outcomes}) == 1
    assert outcomes[0].receipt.supplier_id == STAFF_SUPPLIER_ID
    assert outcomes[0].receipt.booked_lines == command.lines
    assert (await shop.handle(GetStock(first))).on_hand == 5
    assert (await shop.handle(GetStock(second))).on_hand == 2
    moves = await shop.handle(ListMovements(first))
    assert [(m.delta_on_hand, m.reason, m.reference) for m in moves[1:]] == [
        (3, MovementReason.SUPPLIER, "DN-5"),
        (1, MovementReason.SUPPLIER, "DN-5"),
    ]


async def test_a_staff_delivery_with_unknown_skus_books_nothing_and_names_each(
    shop: Shop,
) -> None:
    product = await _product(shop, "U-1", stock=1)
    command = ReceiveDelivery(reference="DN-6", lines=(("U-1", 3), ("NOPE", 1), ("GONE", 2)))
    with pytest.raises(InvalidReceipt) as raised:
        await shop.handle(command)
    assert raised.value.field == "lines.1.sku"
    assert raised.value.context["problems"] == (
        (1, "no product has sku 'NOPE'"),
        (2, "no product has sku 'GONE'"),
    )
    assert (await shop.handle(GetStock(product))).on_hand == 1
    fixed = await shop.handle(ReceiveDelivery(reference="DN-6", lines=(("U-1", 3),)))
    assert not fixed.replayed
    assert (await shop.handle(GetStock(product))).on_hand == 4


async def test_staff_and_supplier_references_do_not_meet(shop: Shop) -> None:
    product = await _product(shop, "V-1", stock=0)
    _, api_key = await shop.handle(CreateSupplier("Acme"))
    await shop.handle(
        ReceiveSupplierShipment(api_key=api_key, reference="PO-1", lines=(("V-1", 2),))
    )
    staff = await shop.handle(ReceiveDelivery(reference="PO-1", lines=(("V-1", 5),)))
    assert not staff.replayed
    assert (await shop.handle(GetStock(product))).on_hand == 7
