"""The ``commerce`` command (CONTRACT.md): serve, users create-admin, products import, db upgrade.

A user error prints one line on stderr and exits 1; no traceback.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import CreateAdmin
from entrypoints.analytics_cli import analytics_app
from entrypoints.cli_support import apply_rows, fail, read_csv, run, settings_from_env
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.inventory_cli import inventory_app
from entrypoints.ops_cli import dlq_app, inbox_app, outbox_app, worker_command
from entrypoints.reports_cli import reports_app
from entrypoints.search_cli import search_app
from entrypoints.settings import Settings, SettingsError

T = TypeVar("T")
CSV_COLUMNS = ("sku", "name", "description", "category", "price", "currency", "stock")

app = typer.Typer(help="commerce-core: an e-commerce backend.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
users = typer.Typer(help="Manage users.", no_args_is_help=True)
products = typer.Typer(help="Manage the catalog.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(products, name="products")
app.add_typer(db_app, name="db")
app.add_typer(search_app, name="search")
app.add_typer(inventory_app, name="inventory")
app.add_typer(reports_app, name="reports")
app.add_typer(analytics_app, name="analytics")
# Distributed mode (entrypoints/ops_cli.py): `commerce worker`, `commerce outbox`, `commerce dlq`.
app.command("worker")(worker_command)
app.add_typer(outbox_app, name="outbox")
app.add_typer(inbox_app, name="inbox")
app.add_typer(dlq_app, name="dlq")


async def _check_backends(settings: Settings) -> None:
    """Opens and closes every configured backend once (and migrates a new SQLite file), so a
    bad URL is one line on stderr rather than a traceback from the server's startup."""
    container = build_container(settings)
    init = container.init_resources()
    if init is not None:
        await init
    shutdown = container.shutdown_resources()
    if shutdown is not None:
        await shutdown


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the HTTP server (and, with no broker configured, the workers in process)."""
    import uvicorn

    from entrypoints.http import create_app

    settings = settings_from_env()
    try:
        asyncio.run(_check_backends(settings))
        container = build_container(settings)
    except SettingsError as error:
        fail(str(error))
    except Exception as error:  # unreachable database, missing driver, schema too new, ...
        fail(f"cannot start: {type(error).__name__}: {error}".splitlines()[0])
    uvicorn.run(create_app(container), host=host, port=port, lifespan="on",
                log_level="info", server_header=False)


@users.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's e-mail.")],
    password: Annotated[str, typer.Option(help="At least 8 characters.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "Admin",
) -> None:
    """Create an admin, or promote the user with this e-mail (its password is then reset)."""

    async def create() -> str:
        async with open_shop(container=build_container(settings_from_env())) as shop:
            user = await shop.handle(CreateAdmin(email, password, name))
            return f"admin {user.email} ({user.id})"

    typer.echo(run(create()))


def _product_from_row(row: dict[str, str | None]) -> CreateProduct:
    missing = [c for c in CSV_COLUMNS if c != "description" and not (row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        price = Decimal((row["price"] or "").strip())
    except InvalidOperation:
        raise ValueError(f"price {row['price']!r} is not a decimal number") from None
    stock_text = (row["stock"] or "").strip()
    if not stock_text.isdigit():
        raise ValueError(f"stock {stock_text!r} is not a whole number")
    return CreateProduct(
        sku=(row["sku"] or "").strip(), name=row["name"] or "",
        description=row.get("description") or "", category=row["category"] or "",
        price=price, currency=(row["currency"] or "").strip(), stock=int(stock_text),
    )


@products.command("import")
def import_products(
    file: Annotated[Path, typer.Argument(help="CSV: sku,name,description,category,price,"
                                              "currency,stock", exists=False)],
) -> None:
    """Import products from a CSV file; bad rows are reported by line, good rows are kept."""
    rows = read_csv(file, CSV_COLUMNS)
    rejected = apply_rows(rows, _product_from_row, label=f"importing {file.name}")
    imported = len(rows) - len(rejected)
    if rejected:
        fail(f"imported {imported} of {len(rows)} rows; {len(rejected)} rejected (listed above)")
    typer.echo(f"imported {imported} products")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations the database lacks."""
    try:
        from entrypoints import db
    except ImportError:
        fail("the SQL adapters are not installed in this build (entrypoints.db is missing)")
    revision = run(db.upgrade(settings_from_env()))
    typer.echo(f"database at revision {revision}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
