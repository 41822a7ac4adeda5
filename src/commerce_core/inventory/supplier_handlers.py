"""Suppliers and their deliveries: stock rises as ``supplier`` movements, once per reference."""

from __future__ import annotations

from commerce_core.inventory.model import MovementReason
from commerce_core.inventory.supplier_commands import CreateSupplier, ReceiveSupplierShipment
from commerce_core.inventory.suppliers import (
    InvalidApiKey,
    InvalidReceipt,
    ReceiptLine,
    Supplier,
    SupplierReceipt,
    check_receipt,
    hash_api_key,
)
from commerce_core.shared.ports import Clock, IdGenerator
from commerce_core.shared.unit_of_work import UnitOfWork


async def create_supplier(
    command: CreateSupplier, uow: UnitOfWork, clock: Clock, ids: IdGenerator
) -> tuple[Supplier, str]:
    supplier, api_key = Supplier.create(ids.new_id(), command.name, now=clock.now())
    async with uow:
        uow.suppliers.add(supplier)
        await uow.commit()
    return supplier, api_key


async def receive_supplier_shipment(
    command: ReceiveSupplierShipment, uow: UnitOfWork, clock: Clock, ids: IdGenerator
) -> SupplierReceipt:
    async with uow:
        supplier = await uow.suppliers.get_by_key_hash(hash_api_key(command.api_key))
        if supplier is None:
            raise InvalidApiKey()
        check_receipt(command.reference, list(command.lines))
        first = await uow.supplier_receipts.for_reference(supplier.id, command.reference)
        if first is not None:
            return first  # a replay: the delivery was booked once already
        lines = []
        for number, (sku, quantity) in enumerate(command.lines):
            product = await uow.products.get_by_sku(sku)
            if product is None:
                raise InvalidReceipt(f"line {number}: no product has sku {sku!r}",
                                     field=f"lines.{number}.sku")
            lines.append(ReceiptLine(sku, product.id, quantity))
        stocks = await uow.stock.get_many([line.product_id for line in lines])
        now = clock.now()
        for number, line in enumerate(lines):
            stock = stocks.get(line.product_id)
            if stock is None:
                raise InvalidReceipt(f"line {number}: sku {line.sku!r} has no stock record",
                                     field=f"lines.{number}.sku")
            stock.adjust(line.quantity, MovementReason.SUPPLIER, command.reference, now)
        receipt = SupplierReceipt(ids.new_id(), supplier.id, command.reference, tuple(lines), now)
        uow.supplier_receipts.add(receipt)
        # A concurrent delivery of the same reference makes this commit fail with
        # ConcurrencyConflict; the bus retries and the retry answers the receipt that won.
        await uow.commit()
    return receipt


COMMAND_HANDLERS = {
    CreateSupplier: create_supplier,
    ReceiveSupplierShipment: receive_supplier_shipment,
}
