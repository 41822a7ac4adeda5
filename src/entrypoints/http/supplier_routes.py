"""Suppliers: an admin creates one (its API key is shown once), the supplier posts receipts."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response

from commerce_core.inventory.supplier_commands import CreateSupplier, ReceiveSupplierShipment
from commerce_core.inventory.suppliers import (
    MAX_LINE_QUANTITY,
    MAX_REFERENCE_LENGTH,
    InvalidApiKey,
    Supplier,
    SupplierReceipt,
)
from entrypoints.http.models import NOT_BLANK
from entrypoints.http.routing import ADMIN, Header, Operation, body, bus, json
from entrypoints.http.schema import spec

API_KEY_HEADER = "X-Api-Key"


@frozen
class SupplierRequest:
    name: str = spec(pattern=NOT_BLANK, max_length=200)


@frozen
class ReceiptLineRequest:
    sku: str = spec(min_length=1, max_length=64)
    quantity: int = spec(minimum=1, maximum=MAX_LINE_QUANTITY)


@frozen
class ReceiptRequest:
    reference: str = spec(pattern=NOT_BLANK, max_length=MAX_REFERENCE_LENGTH)
    lines: list[ReceiptLineRequest] = spec(description="1 to 500 lines")


@frozen
class SupplierOut:
    id: str
    name: str
    api_key: str = spec(description="Shown once; only its SHA-256 is kept")


@frozen
class ReceiptLineOut:
    sku: str
    product_id: str
    quantity: int


@frozen
class ReceiptOut:
    id: str
    supplier_id: str
    reference: str
    lines: list[ReceiptLineOut]
    received_at: datetime


def present_receipt(receipt: SupplierReceipt) -> ReceiptOut:
    return ReceiptOut(
        receipt.id, receipt.supplier_id, receipt.reference,
        [ReceiptLineOut(line.sku, line.product_id, line.quantity) for line in receipt.lines],
        receipt.received_at,
    )


async def create_supplier(request: Request) -> Response:
    data = await body(request, SupplierRequest)
    supplier: Supplier
    supplier, api_key = await bus(request).handle(CreateSupplier(data.name))
    return json(SupplierOut(supplier.id, supplier.name, api_key), 201)


async def receive(request: Request) -> Response:
    api_key = request.headers.get(API_KEY_HEADER, "")
    if not api_key:
        raise InvalidApiKey(f"the {API_KEY_HEADER} header is required")
    data = await body(request, ReceiptRequest)
    receipt = await bus(request).handle(ReceiveSupplierShipment(
        api_key=api_key, reference=data.reference,
        lines=tuple((line.sku, line.quantity) for line in data.lines),
    ))
    return json(present_receipt(receipt), 201)


OPERATIONS = [
    Operation(method="POST", path="/admin/suppliers", endpoint=create_supplier,
              tag="inventory", roles=ADMIN,
              summary="Create a supplier; its API key is in this answer only",
              body=SupplierRequest, responses={201: SupplierOut}),
    Operation(method="POST", path="/supplier/receipts", endpoint=receive, tag="inventory",
              summary="Book a delivery: stock rises once per reference (a replay answers the "
                      "first receipt); an unknown sku is 422 naming its line",
              body=ReceiptRequest, responses={201: ReceiptOut}, errors=(401,),
              request_headers=(Header(name=API_KEY_HEADER, required=True,
                                      description="The supplier's API key"),)),
]
