"""``commerce inventory``: receive a supplier delivery from a CSV file, adjust one product's
stock, and list the products at or under their low-stock threshold.

Products are named by sku. A user error prints one line on stderr and exits 1; a CSV with bad
lines books the good ones, reports each bad one with its line number and exits 1.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from commerce_core.inventory.commands import AdjustStockBySku, LowStockReport
from commerce_core.inventory.model import ADJUSTMENT_REASONS, LowStockLine, Stock
from commerce_core.inventory.suppliers import MAX_LINE_QUANTITY
from commerce_core.shared.errors import DomainError
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.settings import Settings, SettingsError

T = TypeVar("T")
CSV_COLUMNS = ("sku", "quantity")

inventory_app = typer.Typer(help="Manage stock.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"commerce: {message}", err=True)
    raise typer.Exit(1)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except (DomainError, SettingsError, OSError) as error:
        _fail(str(error) or type(error).__name__)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        _fail(str(error))


def _receipt_line(row: dict[str, str | None], reference: str) -> AdjustStockBySku:
    if None in row:
        raise ValueError("more fields than the header names")
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
        _fail("--supplier-reference must have 1 to 200 characters")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {file}: {error}")
    reader = csv.DictReader(text.splitlines())
    absent = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        _fail(f"{file}: the header lacks {', '.join(absent)}")
    rows = list(reader)

    async def book() -> tuple[int, list[str]]:
        booked, rejected = 0, []
        async with open_shop(container=build_container(_settings())) as shop:
            with Progress(transient=True) as progress:
                task = progress.add_task(f"receiving {file.name}", total=len(rows))
                for number, row in enumerate(rows, start=2):  # line 1 is the header
                    try:
                        await shop.handle(_receipt_line(row, supplier_reference))
                        booked += 1
                    except (ValueError, DomainError) as error:
                        rejected.append(f"line {number}: {error}")
                    progress.advance(task)
        return booked, rejected

    booked, rejected = _run(book())
    for line in rejected:
        typer.echo(line, err=True)
    if rejected:
        _fail(f"received {booked} of {len(rows)} lines; {len(rejected)} rejected (listed above)")
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
        async with open_shop(container=build_container(_settings())) as shop:
            stock: Stock = await shop.handle(
                AdjustStockBySku(sku=sku, delta=delta, reason=reason, reference=reference)
            )
            return stock

    stock = _run(apply())
    typer.echo(f"{sku}: on hand {stock.on_hand}, reserved {stock.reserved}, "
               f"available {stock.available}")


@inventory_app.command("low-stock")
def low_stock() -> None:
    """List the products at or under their low-stock threshold."""

    async def report() -> list[LowStockLine]:
        async with open_shop(container=build_container(_settings())) as shop:
            lines: list[LowStockLine] = await shop.handle(LowStockReport())
            return lines

    lines = _run(report())
    if not lines:
        typer.echo("no product is at or under its low-stock threshold")
        return
    table = Table("sku", "name", "available", "threshold", "product id")
    for line in lines:
        table.add_row(line.sku, line.name, str(line.available), str(line.low_stock_threshold),
                      line.product_id)
    Console(width=200).print(table)
