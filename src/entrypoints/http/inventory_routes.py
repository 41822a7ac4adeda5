"""Stock levels, adjustments and the movement log (admin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from commerce_core.inventory.commands import AdjustStock, GetStock, ListMovements, LowStockReport
from entrypoints.http import models as m
from entrypoints.http import presenters as present
from entrypoints.http.routing import ADMIN, Operation, body, bus, json


async def get_stock(request: Request) -> Response:
    stock = await bus(request).handle(GetStock(request.path_params["product_id"]))
    return json(present.stock(stock))


async def adjust(request: Request) -> Response:
    data = await body(request, m.AdjustmentRequest)
    stock = await bus(request).handle(AdjustStock(
        product_id=request.path_params["product_id"], delta=data.delta, reason=data.reason,
        reference=data.reference,
    ))
    return json(present.stock(stock))


async def movements(request: Request) -> Response:
    moves = await bus(request).handle(ListMovements(request.path_params["product_id"]))
    return json(m.MovementsOut([present.movement(mv) for mv in moves]))


async def low_stock(request: Request) -> Response:
    lines = await bus(request).handle(LowStockReport())
    return json(m.LowStockOut([
        m.LowStockItemOut(line.product_id, line.sku, line.name, line.available,
                          line.low_stock_threshold)
        for line in lines
    ]))


OPERATIONS = [
    # Before /admin/inventory/{product_id}, which "low-stock" would match too.
    Operation(method="GET", path="/admin/inventory/low-stock", endpoint=low_stock,
              tag="inventory", roles=ADMIN,
              summary="Products at or under their low-stock threshold, fewest available first",
              responses={200: m.LowStockOut}),
    Operation(method="GET", path="/admin/inventory/{product_id}", endpoint=get_stock,
              tag="inventory", roles=ADMIN, summary="Stock levels of a product",
              responses={200: m.StockOut}, errors=(404,)),
    Operation(method="POST", path="/admin/inventory/{product_id}/adjustments", endpoint=adjust,
              tag="inventory", roles=ADMIN,
              summary="Change on-hand stock (409 if available would go negative)",
              body=m.AdjustmentRequest, responses={200: m.StockOut}, errors=(404, 409)),
    Operation(method="GET", path="/admin/inventory/{product_id}/movements", endpoint=movements,
              tag="inventory", roles=ADMIN, summary="The movement log of a product",
              responses={200: m.MovementsOut}, errors=(404,)),
]
