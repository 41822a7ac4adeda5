"""Suppliers and their deliveries: stock rises as ``supplier`` movements, once per reference."""

from __future__ import annotations

from commerce_core.inventory.model import MovementReason
from commerce_core.inventory.supplier_commands import (
    CreateSupplier,
    ReceiveDelivery,
    ReceiveSupplierShipment,
)
from commerce_core.inventory.suppliers import (
    STAFF_SUPPLIER_ID,
    DeliveryReceived,
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
        outcome = await _book_once(uow, supplier.id, command.reference, command.lines, clock, ids)
    return outcome.receipt


async def receive_delivery(
    command: ReceiveDelivery, uow: UnitOfWork, clock: Clock, ids: IdGenerator
) -> DeliveryReceived:
    async with uow:
        return await _book_once(
            uow, STAFF_SUPPLIER_ID, command.reference, command.lines, clock, ids
        )


async def _book_once(
    uow: UnitOfWork,
    supplier_id: str,
    reference: str,
    sent: tuple[tuple[str, int], ...],
    clock: Clock,
    ids: IdGenerator,
) -> DeliveryReceived:
    """Books a delivery as ``supplier`` movements unless its reference was booked before. Every
    line is checked before anything is booked; InvalidReceipt names the first bad line, and its
    ``problems`` context lists them all as (line index, why)."""
    check_receipt(reference, list(sent))
    first = await uow.supplier_receipts.for_reference(supplier_id, reference)
    if first is not None:
        return DeliveryReceived(first, replayed=True)  # booked once already
    problems: list[tuple[int, str]] = []
    lines: list[tuple[int, ReceiptLine]] = []
    for number, (sku, quantity) in enumerate(sent):
        product = await uow.products.get_by_sku(sku)
        if product is None:
            problems.append((number, f"no product has sku {sku!r}"))
        else:
            lines.append((number, ReceiptLine(sku, product.id, quantity)))
    stocks = await uow.stock.get_many([line.product_id for _, line in lines])
    problems += [
        (number, f"sku {line.sku!r} has no stock record")
        for number, line in lines
        if line.product_id not in stocks
    ]
    if problems:
        problems.sort()
        number, why = problems[0]
        raise InvalidReceipt(
            f"line {number}: {why}", field=f"lines.{number}.sku", problems=tuple(problems)
        )
    now = clock.now()
    for _, line in lines:
        stocks[line.product_id].adjust(line.quantity, MovementReason.SUPPLIER, reference, now)
    receipt = SupplierReceipt(
        ids.new_id(), supplier_id, reference, tuple(line for _, line in lines), now
    )
    uow.supplier_receipts.add(receipt)
    # A concurrent delivery of the same reference makes this commit fail with
    # ConcurrencyConflict; the bus retries and the retry answers the receipt that won.
    await uow.commit()
    return DeliveryReceived(receipt, replayed=False)


COMMAND_HANDLERS = {
    CreateSupplier: create_supplier,
    ReceiveSupplierShipment: receive_supplier_shipment,
    ReceiveDelivery: receive_delivery,
}
