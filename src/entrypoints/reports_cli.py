"""``commerce reports``: the sales, inventory and low-stock reports as JSON, CSV or PDF, and a
rebuild of the read models from the event journal.

The figures come from the configured database's reporting store, the one ``GET /reports/...``
reads. JSON and CSV go to standard output unless ``--out`` names a file; a PDF needs ``--out``.
A user error prints one line on stderr and exits 1.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, TypeVar

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.reporting_exports import (
    inventory_csv,
    inventory_pdf,
    low_stock_csv,
    low_stock_pdf,
    sales_csv,
    sales_pdf,
)
from commerce_core.reporting.model import InventoryReport, LowStockReport, SalesGrouping
from commerce_core.reporting.ports import EventJournal, ReportingStore
from commerce_core.reporting.replay import rebuild as replay
from commerce_core.reporting.reports import period_problems
from entrypoints.cli_support import fail, run, settings_from_env
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.http.schema import dump

R = TypeVar("R")
FORMATS = ("json", "csv", "pdf")
GROUPINGS = tuple(grouping.value for grouping in SalesGrouping)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

reports_app = typer.Typer(help="Reports: sales, stock, low stock; rebuild.", no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", help="json, csv or pdf")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write to this file (needed for pdf)")
]


def _day(option: str, text: str) -> date:
    try:
        if not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date such as 2026-01-31, not {text!r}")


def _check_format(fmt: str, out: Path | None) -> None:
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "pdf" and out is None:
        fail("--format pdf needs --out FILE")


def _read(question: Callable[[ReportingStore], Awaitable[R]]) -> R:
    async def ask() -> R:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            store: ReportingStore = shop.container.reporting_store()
            return await question(store)

    return run(ask())


def _emit(content: bytes, out: Path | None, what: str) -> None:
    if out is None:
        typer.echo(content.decode("utf-8"), nl=False)
        return
    try:
        out.write_bytes(content)
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror or error}")
    typer.echo(f"{what} written to {out}", err=True)


def _json(report: object) -> bytes:
    return orjson.dumps(dump(report), option=orjson.OPT_INDENT_2) + b"\n"


@reports_app.command("sales")
def sales(
    date_from: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (UTC), included")],
    group_by: Annotated[str, typer.Option("--group-by", help="day, product or category")] = "day",
    fmt: FormatOption = "json",
    out: OutOption = None,
) -> None:
    """Net sales over a period, by day, product or category, with totals per currency."""
    first, last = _day("--from", date_from), _day("--to", date_to)
    problems = period_problems(first, last)
    if problems:
        fail("; ".join(f"--{name} {message}" for name, message in problems))
    if group_by not in GROUPINGS:
        fail(f"--group-by must be one of {', '.join(GROUPINGS)}, not {group_by!r}")
    _check_format(fmt, out)
    report = _read(lambda store: store.sales(first, last, SalesGrouping(group_by)))
    render = {"json": _json, "csv": sales_csv, "pdf": sales_pdf}[fmt]
    _emit(render(report), out, f"sales by {group_by}, {first} to {last} ({fmt})")


@reports_app.command("inventory")
def inventory(fmt: FormatOption = "json", out: OutOption = None) -> None:
    """Stock of every product and its movements by kind."""
    _check_format(fmt, out)
    report = _read(lambda store: store.inventory())
    render: dict[str, Callable[[InventoryReport], bytes]] = {
        "json": _json,
        "csv": inventory_csv,
        "pdf": partial(inventory_pdf, today=date.today()),
    }
    _emit(render[fmt](report), out, f"inventory of {len(report.rows)} products ({fmt})")


@reports_app.command("low-stock")
def low_stock(fmt: FormatOption = "json", out: OutOption = None) -> None:
    """Products at or under their low-stock threshold, fewest available first."""
    _check_format(fmt, out)
    report = _read(lambda store: store.low_stock())
    render: dict[str, Callable[[LowStockReport], bytes]] = {
        "json": _json,
        "csv": low_stock_csv,
        "pdf": partial(low_stock_pdf, today=date.today()),
    }
    _emit(render[fmt](report), out, f"low stock: {len(report.rows)} products ({fmt})")


@reports_app.command("rebuild")
def rebuild(
    batch_size: Annotated[int, typer.Option(help="Events folded in per batch")] = 5000,
) -> None:
    """Forget every figure and fold the whole event journal in again.

    Stop `commerce serve` and the workers first: an event folded in live during the replay
    would come before the history that precedes it."""
    if not 1 <= batch_size <= 1_000_000:
        fail("--batch-size must be from 1 to 1000000")

    async def replay_journal() -> int:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            journal: EventJournal = shop.container.event_journal()
            store: ReportingStore = shop.container.reporting_store()
            columns = (
                TextColumn("rebuilding the reports"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, transient=True) as progress:
                task = progress.add_task("rebuild", total=await journal.count())
                return await replay(
                    journal,
                    store,
                    batch_size=batch_size,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )

    replayed = run(replay_journal())
    typer.echo(f"rebuilt the reports from {replayed} events")
