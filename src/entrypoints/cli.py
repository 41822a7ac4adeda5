"""The ``commerce`` command (CONTRACT.md): serve, users create-admin, products import, db upgrade.

A user error prints one line on stderr and exits 1; no traceback.
"""

from __future__ import annotations

import asyncio
import csv
import sys
from collections.abc import Coroutine
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.progress import Progress

from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import CreateAdmin
from commerce_core.shared.errors import DomainError
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.inventory_cli import inventory_app
from entrypoints.ops_cli import dlq_app, outbox_app, worker_command
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
# Distributed mode (entrypoints/ops_cli.py): `commerce worker`, `commerce outbox`, `commerce dlq`.
app.command("worker")(worker_command)
app.add_typer(outbox_app, name="outbox")
app.add_typer(dlq_app, name="dlq")


def fail(message: str) -> NoReturn:
    typer.echo(f"commerce: {message}", err=True)
    raise typer.Exit(1)


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        fail(str(error))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a command's coroutine; the errors a user can cause become one line on stderr."""
    try:
        return asyncio.run(coroutine)
    except (DomainError, SettingsError, OSError) as error:
        fail(str(error) or type(error).__name__)
    except Exception as error:
        if type(error).__module__.startswith(("adapters.", "entrypoints.")):
            fail(str(error) or type(error).__name__)  # e.g. the schema is newer than the code
        raise


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
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {error}")
    reader = csv.DictReader(text.splitlines())
    absent = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        fail(f"{file}: the header lacks {', '.join(absent)}")
    rows = list(reader)

    async def load() -> tuple[int, list[str]]:
        imported, rejected = 0, []
        async with open_shop(container=build_container(settings_from_env())) as shop:
            with Progress(transient=True) as progress:
                task = progress.add_task(f"importing {file.name}", total=len(rows))
                for number, row in enumerate(rows, start=2):  # line 1 is the header
                    try:
                        if None in row:
                            raise ValueError("more fields than the header names")
                        await shop.handle(_product_from_row(row))
                        imported += 1
                    except (ValueError, DomainError) as error:
                        rejected.append(f"line {number}: {error}")
                    progress.advance(task)
        return imported, rejected

    imported, rejected = run(load())
    for line in rejected:
        typer.echo(line, err=True)
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
