"""Products: search and read for anyone; create, change and deactivate for admins."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from commerce_core.catalog.commands import (
    CreateProduct,
    DeactivateProduct,
    GetProduct,
    ListProducts,
    UpdateProduct,
)
from entrypoints.http import models as m
from entrypoints.http import presenters as present
from entrypoints.http.routing import ADMIN, Operation, body, bus, json, no_content, query


async def list_products(request: Request) -> Response:
    q = query(request, m.ProductQuery)
    page = await bus(request).handle(ListProducts(
        text=q.q, category=q.category, min_price=q.min_price, max_price=q.max_price,
        in_stock=q.in_stock, sort=q.sort, page=q.page, page_size=q.page_size,
    ))
    items = [present.product(p) for p in page.items]
    return json(m.ProductPageOut(items, page.total, q.page, q.page_size))


async def get_product(request: Request) -> Response:
    product = await bus(request).handle(GetProduct(request.path_params["product_id"]))
    return json(present.product(product))


async def create_product(request: Request) -> Response:
    data = await body(request, m.ProductRequest)
    product = await bus(request).handle(CreateProduct(
        sku=data.sku, name=data.name, description=data.description, category=data.category,
        price=data.price, currency=data.currency, stock=data.stock,
    ))
    return json(present.product(product), 201, {"Location": f"/products/{product.id}"})


async def update_product(request: Request) -> Response:
    data = await body(request, m.ProductPatch)
    product = await bus(request).handle(UpdateProduct(
        product_id=request.path_params["product_id"], name=data.name,
        description=data.description, category=data.category, price=data.price,
        currency=data.currency, active=data.active,
    ))
    return json(present.product(product))


async def deactivate_product(request: Request) -> Response:
    await bus(request).handle(DeactivateProduct(request.path_params["product_id"]))
    return no_content()


OPERATIONS = [
    Operation(method="GET", path="/products", endpoint=list_products, tag="catalog",
              summary="Search active products", query=m.ProductQuery,
              responses={200: m.ProductPageOut}, reads="replica"),
    Operation(method="POST", path="/products", endpoint=create_product, tag="catalog",
              summary="Create a product", roles=ADMIN, body=m.ProductRequest,
              responses={201: m.ProductOut}, errors=(409,)),
    Operation(method="GET", path="/products/{product_id}", endpoint=get_product, tag="catalog",
              summary="One active product", responses={200: m.ProductOut}, errors=(404,),
              reads="replica"),
    Operation(method="PATCH", path="/products/{product_id}", endpoint=update_product,
              tag="catalog", summary="Change a product", roles=ADMIN, body=m.ProductPatch,
              responses={200: m.ProductOut}, errors=(404,)),
    Operation(method="DELETE", path="/products/{product_id}", endpoint=deactivate_product,
              tag="catalog", summary="Deactivate a product (it is no longer listed or sold)",
              roles=ADMIN, responses={204: None}, errors=(404,)),
]
