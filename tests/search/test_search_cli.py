"""``commerce search verify`` finds drift between catalog and index; ``reindex`` repairs it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from commerce_core.catalog.commands import CreateProduct, DeactivateProduct
from entrypoints.container import build_container
from entrypoints.embedded import open_shop
from entrypoints.search_cli import search_app
from entrypoints.settings import Settings


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    monkeypatch.setenv("COMMERCE_DATABASE_URL", url)
    return url


async def _catalog_with_drift(url: str) -> list[str]:
    container = build_container(Settings(database_url=url))
    async with open_shop(container=container) as shop:
        ids = []
        for n in range(3):
            product = await shop.handle(CreateProduct(
                sku=f"S-{n}", name=f"Hammer {n}", description="", category="Tools",
                price=Decimal("5.00"), currency="EUR", stock=1,
            ))
            ids.append(product.id)
        await shop.handle(DeactivateProduct(ids[2]))
        async with container.database().engine.begin() as conn:
            # Drift that events alone would never cause: a lost document, a stale one.
            await conn.execute(text("DELETE FROM search_documents WHERE product_id = :p"),
                               {"p": ids[0]})
            await conn.execute(text("UPDATE search_documents SET name = 'Old' WHERE product_id"
                                    " = :p"), {"p": ids[1]})
    return ids


def test_verify_reports_drift_and_reindex_repairs_it(database_url: str) -> None:
    ids = asyncio.run(_catalog_with_drift(database_url))
    runner = CliRunner()

    report = runner.invoke(search_app, ["verify"])
    assert report.exit_code == 1, report.output
    assert "missing: 1, stale: 1" in report.output
    assert f"missing {ids[0]}" in report.output
    assert f"stale {ids[1]}" in report.output

    rebuilt = runner.invoke(search_app, ["reindex"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "indexed 2 products, removed 1 documents" in rebuilt.output

    clean = runner.invoke(search_app, ["verify"])
    assert clean.exit_code == 0, clean.output
    assert "missing: 0, stale: 0" in clean.output


def test_memory_mode_has_nothing_to_reindex(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_DATABASE_URL", "memory://")

    result = CliRunner().invoke(search_app, ["reindex"])

    assert result.exit_code == 1
    assert "memory://" in result.output


async def _segments(url: str) -> int:
    """How many FTS5 segments hold the index (one b-tree each for a query to read)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(text("SELECT count(DISTINCT segid) FROM search_fts_idx"))
    finally:
        await engine.dispose()
    return int(found or 0)


def test_compact_merges_the_fts5_segments_and_reindex_compacts(database_url: str) -> None:
    asyncio.run(_catalog_with_drift(database_url))  # one FTS5 segment per write transaction
    assert asyncio.run(_segments(database_url)) > 1
    runner = CliRunner()

    compacted = runner.invoke(search_app, ["compact"])

    assert compacted.exit_code == 0, compacted.output
    assert "search index compacted" in compacted.output
    assert asyncio.run(_segments(database_url)) == 1
    rebuilt = runner.invoke(search_app, ["reindex"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "compacting the index" in rebuilt.output
    assert asyncio.run(_segments(database_url)) == 1
    assert runner.invoke(search_app, ["verify"]).exit_code == 0
