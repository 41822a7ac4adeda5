"""``commerce analytics``: load the event history into the ClickHouse warehouse, and the demand
forecast's reorder suggestions.

    commerce analytics backfill [--batch-size N] [--rebuild]
    commerce analytics compact
    commerce analytics forecast [--lead-time-days 7] [--service-level 0.95] [--horizon-days 14]
                                [--history-days 182] [--today YYYY-MM-DD] [--format table|json]

``backfill`` needs COMMERCE_CLICKHOUSE_URL: it loads every journal event past the warehouse's
checkpoint (all of them the first time), a bulk batch at a time, with a progress bar. It is
idempotent: events already in the warehouse are skipped. ``--rebuild`` empties the warehouse
first. ``forecast`` reads whichever reporting store is configured (the warehouse or the SQL read
models). A user error prints one line on stderr and exits 1.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from commerce_core.reporting.ports import ReportReader
from commerce_core.reporting.reorder import (
    DEFAULT_HISTORY_DAYS,
    ReorderPolicy,
    ReorderReport,
    demand_history_of,
    gather_demand,
    plan_reorders,
)
from commerce_core.shared.errors import InvalidInput
from entrypoints.cli_support import fail, run, settings_from_env
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.http.reorder_routes import present_reorders
from entrypoints.http.schema import dump

analytics_app = typer.Typer(
    help="The analytics warehouse (ClickHouse) and the demand forecast.", no_args_is_help=True
)


@analytics_app.command()
def backfill(
    batch_size: Annotated[int, typer.Option(help="Events per bulk load")] = 5000,
    rebuild: Annotated[bool, typer.Option(help="Empty the warehouse first")] = False,
) -> None:
    """Load the whole event journal into the ClickHouse warehouse."""
    if not 1 <= batch_size <= 1_000_000:
        fail("--batch-size must be from 1 to 1000000")
    settings = settings_from_env()
    if not settings.clickhouse_url:
        fail("backfill loads the ClickHouse warehouse: set COMMERCE_CLICKHOUSE_URL")

    async def load() -> tuple[int, int]:
        from adapters.clickhouse.pipeline import WarehouseLoader
        from adapters.clickhouse.reporting import ClickHouseReportingStore

        async with open_shop(container=build_container(settings)) as shop:
            container = shop.container
            warehouse: object = container.reporting_store()
            assert isinstance(warehouse, ClickHouseReportingStore)  # COMMERCE_CLICKHOUSE_URL
            journal = container.event_journal()
            if rebuild:
                await warehouse.reset()
            loader = WarehouseLoader(journal, warehouse, batch_size=batch_size)
            columns = (
                TextColumn("loading the warehouse"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, transient=True) as progress:
                task = progress.add_task("backfill", total=await journal.count())
                loaded = await loader.load(
                    progress=lambda done, total: progress.update(task, completed=done, total=total)
                )
            return loaded, await warehouse.journal_position()

    loaded, position = run(load())
    typer.echo(f"loaded {loaded} new events into the warehouse (journal position {position})")


@analytics_app.command()
def compact() -> None:
    """Keep only the latest facts of each product in the ClickHouse warehouse."""
    settings = settings_from_env()
    if not settings.clickhouse_url:
        fail("compact works on the ClickHouse warehouse: set COMMERCE_CLICKHOUSE_URL")

    async def compact_products() -> int:
        from adapters.clickhouse.reporting import ClickHouseReportingStore

        async with open_shop(container=build_container(settings)) as shop:
            warehouse: object = shop.container.reporting_store()
            assert isinstance(warehouse, ClickHouseReportingStore)  # COMMERCE_CLICKHOUSE_URL
            return await warehouse.compact()

    kept = run(compact_products())
    typer.echo(
        f"compacted the facts of {kept} products (older versions are deleted in the background)"
    )


def _policy(
    lead_time_days: int, service_level: float, horizon_days: int, history: int
) -> ReorderPolicy:
    try:
        return ReorderPolicy(
            lead_time_days=lead_time_days,
            service_level=service_level,
            horizon_days=horizon_days,
            history_days=history,
        )
    except InvalidInput as error:  # it names the option
        fail(str(error))


def _table(report: ReorderReport) -> Table:
    table = Table(
        title=f"Reorder suggestions for {report.as_of.isoformat()}: lead time "
        f"{report.lead_time_days} d, service level {report.service_level:g} (z {report.z:.3f}), "
        f"cover {report.horizon_days} d after arrival"
    )
    for name in ("sku", "name", "available", "per day", "reorder point", "safety stock",
                 "order up to", "suggested", "method"):  # fmt: skip
        table.add_column(name, justify="left" if name in {"sku", "name", "method"} else "right")
    for row in report.rows:
        table.add_row(
            row.sku, row.name, str(row.available), f"{row.daily_demand:.2f}",
            f"{row.reorder_point:.1f}", f"{row.safety_stock:.1f}", f"{row.order_up_to:.1f}",
            str(row.suggested_quantity), row.method,
        )  # fmt: skip
    return table


@analytics_app.command()
def forecast(
    lead_time_days: Annotated[int, typer.Option(help="Supplier lead time, days")] = 7,
    service_level: Annotated[float, typer.Option(help="From 0.5 to 0.999")] = 0.95,
    horizon_days: Annotated[int, typer.Option(help="Days an order covers after arrival")] = 14,
    history_days: Annotated[int, typer.Option(help="Days of sales to learn from")] = (
        DEFAULT_HISTORY_DAYS
    ),
    today: Annotated[str | None, typer.Option(help="As of this day (default: today, UTC)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Reorder suggestions from the demand forecast of every product."""
    if fmt not in {"table", "json"}:
        fail(f"--format must be table or json, not {fmt!r}")
    policy = _policy(lead_time_days, service_level, horizon_days, history_days)
    try:
        as_of = date.fromisoformat(today) if today else datetime.now(UTC).date()
    except ValueError:
        fail(f"--today must be a date such as 2026-01-31, not {today!r}")

    async def plan() -> ReorderReport:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            reader: ReportReader = shop.container.reporting_store()
            demand = demand_history_of(reader)
            stock, series = await gather_demand(reader, demand, policy, as_of)
        return await asyncio.to_thread(plan_reorders, stock, series, policy, as_of)

    report = run(plan())
    if fmt == "json":
        typer.echo(orjson.dumps(dump(present_reorders(report)), option=orjson.OPT_INDENT_2))
        return
    console = Console()
    console.print(_table(report))
    if not report.rows:
        console.print("nothing to reorder")
