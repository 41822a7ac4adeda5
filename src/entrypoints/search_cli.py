"""``commerce search``: rebuild the search index from the products table, or check it.

``reindex`` reads every product (keyset pages of ids, then ``get_many`` through the unit of
work, as the event handlers see them), indexes the active ones and removes the rest, then drops
documents of products that no longer exist. ``verify`` reports active products missing from the
index and documents that differ from their product (stale) or whose product is gone or inactive;
it exits 1 when it finds any.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, NoReturn, Protocol, runtime_checkable

import typer
from rich.progress import Progress

from commerce_core.catalog.model import Product
from commerce_core.catalog.search import SearchDocument, SearchIndex
from entrypoints.container import Container, build_container
from entrypoints.settings import Settings, SettingsError

BATCH = 500

search_app = typer.Typer(help="Manage the search index.", no_args_is_help=True)


@runtime_checkable
class CompactableIndex(Protocol):
    """An index on disk whose layout decays with writes (FTS5 segments, PostgreSQL row order)."""

    async def compact(self) -> None: ...


def _fail(message: str) -> NoReturn:
    typer.echo(f"commerce: {message}", err=True)
    raise typer.Exit(1)


def _container() -> Container:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        _fail(str(error))
    if settings.is_memory:
        _fail("COMMERCE_DATABASE_URL is memory://: there is no products table to index")
    return build_container(settings)


async def _product_count(container: Any) -> int:
    from sqlalchemy import func, select

    from adapters.sqlalchemy.tables import products

    async with container.database().engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(products)) or 0)


async def _catalog(container: Any) -> AsyncIterator[list[Product]]:
    """Every product, in pages of BATCH, ordered by id (keyset: no OFFSET scans)."""
    from sqlalchemy import select

    from adapters.sqlalchemy.tables import products

    after = ""
    while True:
        async with container.database().engine.connect() as conn:
            ids = list(await conn.scalars(
                select(products.c.id).where(products.c.id > after)
                .order_by(products.c.id).limit(BATCH)
            ))
        if not ids:
            return
        uow = container.uow()
        async with uow:
            found = await uow.products.get_many(ids)
        yield [found[i] for i in ids if i in found]
        after = ids[-1]


async def _reindex(container: Any, *, compact: bool) -> tuple[int, int]:
    init = container.init_resources()
    if init is not None:
        await init
    try:
        search: SearchIndex = container.search()
        total = await _product_count(container)
        indexed, removed = 0, 0
        seen: set[str] = set()
        with Progress(transient=False) as progress:
            task = progress.add_task("indexing products", total=total)
            async for batch in _catalog(container):
                active = [p for p in batch if p.active]
                await search.index(SearchDocument.from_product(p) for p in active)
                for product in batch:
                    if not product.active:
                        await search.remove(product.id)
                        removed += 1
                seen.update(p.id for p in active)
                indexed += len(active)
                progress.advance(task, len(batch))
        for product_id in set(await search.documents()) - seen:
            await search.remove(product_id)
            removed += 1
        if compact and isinstance(search, CompactableIndex):
            typer.echo("compacting the index")
            await search.compact()
        return indexed, removed
    finally:
        shutdown = container.shutdown_resources()
        if shutdown is not None:
            await shutdown


async def _verify(container: Any) -> tuple[list[str], list[str]]:
    init = container.init_resources()
    if init is not None:
        await init
    try:
        held = await container.search().documents()
        missing: list[str] = []
        stale: list[str] = []
        active: set[str] = set()
        async for batch in _catalog(container):
            for product in batch:
                if not product.active:
                    continue
                active.add(product.id)
                document = held.get(product.id)
                if document is None:
                    missing.append(product.id)
                elif not document.shows(product):
                    stale.append(product.id)
        stale.extend(sorted(set(held) - active))  # gone or inactive, yet still found
        return missing, stale
    finally:
        shutdown = container.shutdown_resources()
        if shutdown is not None:
            await shutdown


async def _compact(container: Any) -> bool:
    init = container.init_resources()
    if init is not None:
        await init
    try:
        search = container.search()
        if not isinstance(search, CompactableIndex):
            return False
        await search.compact()
        return True
    finally:
        shutdown = container.shutdown_resources()
        if shutdown is not None:
            await shutdown


@search_app.command()
def reindex(
    compact: Annotated[
        bool, typer.Option(help="Compact the index afterwards (see `commerce search compact`).")
    ] = True,
) -> None:
    """Rebuild the search index from the products table."""
    indexed, removed = asyncio.run(_reindex(_container(), compact=compact))
    typer.echo(f"indexed {indexed} products, removed {removed} documents")


@search_app.command()
def verify(
    show: Annotated[int, typer.Option(help="How many ids of each kind to list.")] = 20,
) -> None:
    """Report products missing from the index and documents that are stale."""
    missing, stale = asyncio.run(_verify(_container()))
    typer.echo(f"missing: {len(missing)}, stale: {len(stale)}")
    for label, ids in (("missing", missing), ("stale", stale)):
        for product_id in ids[:show]:
            typer.echo(f"{label} {product_id}")
    if missing or stale:
        raise typer.Exit(1)


@search_app.command()
def compact() -> None:
    """Compact the index: merge SQLite's FTS5 segments, or rewrite PostgreSQL's table in name
    order (CLUSTER: searches wait a few seconds). Run it after bulk imports or now and then."""
    if asyncio.run(_compact(_container())):
        typer.echo("search index compacted")
    else:
        typer.echo("this search index has nothing to compact")
