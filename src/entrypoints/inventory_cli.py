"""``commerce inventory``: receive a supplier delivery from a CSV file, adjust one product's
stock, and list the products at or under their low-stock threshold.

Products are named by sku. A user error prints one line on stderr and exits 1. A CSV delivery is
one receipt under its reference, like ``POST /supplier/receipts``: all its lines or none are
booked (each bad line is reported with its line number, exit 1), and booking the same reference
again changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from commerce_core.inventory.commands import AdjustStockBySku, LowStockReport
from commerce_core.inventory.model import ADJUSTMENT_REASONS, LowStockLine, Stock
from commerce_core.inventory.supplier_commands import ReceiveDelivery
from commerce_core.inventory.suppliers import (
    MAX_LINE_QUANTITY,
    MAX_REFERENCE_LENGTH,
    DeliveryReceived,
    InvalidReceipt,
)
from entrypoints.cli_support import Row, fail, read_csv, run, settings_from_env
from entrypoints.container import build_container
from entrypoints.embedded import open_shop

CSV_COLUMNS = ("sku", "quantity")

inventory_app = typer.Typer(help="Manage stock.", no_args_is_help=True)


def _line(row: Row) -> tuple[str, int]:
    if None in row:
        raise ValueError("more fields than the header names")
    sku = (row.get("sku") or "").strip()
    if not sku:
        raise ValueError("missing sku")
    text = (row.get("quantity") or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_LINE_QUANTITY:
        raise ValueError(f"quantity {text!r} is not a whole number from 1 to {MAX_LINE_QUANTITY}")
    return sku, int(text)


def _parse(rows: list[Row]) -> tuple[list[tuple[str, int]], list[int], list[str]]:
    """The lines, the file line number of each, and the rejections ("line N: why")."""
    lines: list[tuple[str, int]] = []
    numbers: list[int] = []
    rejected: list[str] = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            lines.append(_line(row))
            numbers.append(number)
        except ValueError as error:
            rejected.append(f"line {number}: {error}")
    return lines, numbers, rejected


def _reject(rejected: list[str], total: int) -> NoReturn:
    for line in rejected:
        typer.echo(line, err=True)
    fail(
        f"nothing received: {len(rejected)} of {total} lines rejected (listed above); "
        "fix them and run again with the same reference"
    )


@inventory_app.command("receive")
def receive(
    file: Annotated[Path, typer.Argument(help="CSV with the columns sku,quantity")],
    supplier_reference: Annotated[
        str,
        typer.Option(
            "--supplier-reference",
            "--reference",
            help="The delivery's reference (PO, delivery note): a delivery is booked once per "
            "reference, so running the same file again changes nothing",
        ),
    ],
) -> None:
    """Book a supplier delivery: each line raises stock as a `supplier` movement, all lines or
    none, once per reference."""
    supplier_reference = supplier_reference.strip()
    if not 1 <= len(supplier_reference) <= MAX_REFERENCE_LENGTH:
        fail(f"--supplier-reference must have 1 to {MAX_REFERENCE_LENGTH} characters")
    rows = read_csv(file, CSV_COLUMNS)
    if not rows:
        fail(f"{file}: no lines under the header")
    lines, numbers, rejected = _parse(rows)
    if rejected:
        _reject(rejected, len(rows))

    async def book() -> DeliveryReceived | list[str]:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            with Progress(transient=True) as progress:
                progress.add_task(f"receiving {file.name}", total=None)
                try:
                    outcome: DeliveryReceived = await shop.handle(
                        ReceiveDelivery(reference=supplier_reference, lines=tuple(lines))
                    )
                except InvalidReceipt as error:
                    problems = error.context.get("problems")
                    if not problems:
                        raise
                    return [f"line {numbers[index]}: {why}" for index, why in problems]
                return outcome

    outcome = run(book())
    if isinstance(outcome, list):
        _reject(outcome, len(rows))
    receipt = outcome.receipt
    when = receipt.received_at.strftime("%Y-%m-%d %H:%M UTC")
    if not outcome.replayed:
        typer.echo(f"received {len(receipt.lines)} lines (reference {supplier_reference})")
    elif receipt.booked_lines == tuple(lines):
        typer.echo(f"{supplier_reference} was received already on {when}: nothing changed")
    else:
        fail(
            f"{supplier_reference} was received already on {when} with other lines; nothing "
            "changed (a new delivery needs a new reference)"
        )


@inventory_app.command(
    "adjust",
    context_settings={"ignore_unknown_options": True},  # lets DELTA be negative
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
    typer.echo(
        f"{sku}: on hand {stock.on_hand}, reserved {stock.reserved}, available {stock.available}"
    )


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
        table.add_row(
            line.sku, line.name, str(line.available), str(line.low_stock_threshold), line.product_id
        )
    Console(width=200).print(table)
