"""``commerce inventory``: receive a supplier delivery from a CSV file, adjust one product's
stock, and list the products at or under their low-stock threshold.

Products are named by sku. A user error prints one line on stderr and exits 1; a CSV with bad
lines books the good ones, reports each bad one with its line number and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from commerce_core.inventory.commands import AdjustStockBySku, LowStockReport
from commerce_core.inventory.model import ADJUSTMENT_REASONS, LowStockLine, Stock
from commerce_core.inventory.suppliers import MAX_LINE_QUANTITY
from entrypoints.cli_support import Row, apply_rows, fail, read_csv, run, settings_from_env
from entrypoints.container import build_container
from entrypoints.embedded import open_shop

T = TypeVar("T")
CSV_COLUMNS = ("sku", "quantity")

inventory_app = typer.Typer(help="Manage stock.", no_args_is_help=True)


def _receipt_line(row: Row, reference: str) -> AdjustStockBySku:
    sku = (row.get("sku") or "").strip()
    if not sku:
        raise ValueError("missing sku")
    text = (row.get("quantity") or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_LINE_QUANTITY:
        raise ValueError(f"quantity {text!r} is not a whole number from 1 to {MAX_LINE_QUANTITY}")
    return AdjustStockBySku(sku=sku, delta=int(text), reason="supplier", reference=reference)


@inventory_app.command("receive")
def receive(
    file: Annotated[Path, typer.Argument(help="CSV with the columns sku,quantity")],
    supplier_reference: Annotated[str, typer.Option(help="The delivery's reference (PO, note)")],
) -> None:
    """Book a supplier delivery: each line raises stock as a `supplier` movement."""
    if not 1 <= len(supplier_reference) <= 200:
        fail("--supplier-reference must have 1 to 200 characters")
    rows = read_csv(file, CSV_COLUMNS)
    rejected = apply_rows(
        rows, lambda row: _receipt_line(row, supplier_reference), label=f"receiving {file.name}"
    )
    booked = len(rows) - len(rejected)
    if rejected:
        fail(f"received {booked} of {len(rows)} lines; {len(rejected)} rejected (listed above)")
    typer.echo(f"received {booked} lines")


@inventory_app.command(
    "adjust", context_settings={"ignore_unknown_options": True}  # lets DELTA be negative
)
def adjust(
    sku: Annotated[str, typer.Argument(help="The product's sku")],
    delta: Annotated[int, typer.Argument(help="Units to add (negative: to remove)")],
    reason: Annotated[str, typer.Option(help=f"One of {', '.join(sorted(ADJUSTMENT_REASONS))}")],
    reference: Annotated[str | None, typer.Option(help="A note or document number")] = None,
) -> None:
    """Change a product's on-hand stock."""

    async def apply() -> Stock:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            stock: Stock = await shop.handle(
                AdjustStockBySku(sku=sku, delta=delta, reason=reason, reference=reference)
            )
            return stock

    stock = run(apply())
    typer.echo(f"{sku}: on hand {stock.on_hand}, reserved {stock.reserved}, "
               f"available {stock.available}")


@inventory_app.command("low-stock")
def low_stock() -> None:
    """List the products at or under their low-stock threshold."""

    async def report() -> list[LowStockLine]:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            lines: list[LowStockLine] = await shop.handle(LowStockReport())
            return lines

    lines = run(report())
    if not lines:
        typer.echo("no product is at or under its low-stock threshold")
        return
    table = Table("sku", "name", "available", "threshold", "product id")
    for line in lines:
        table.add_row(line.sku, line.name, str(line.available), str(line.low_stock_threshold),
                      line.product_id)
    Console(width=200).print(table)
