"""``commerce analytics backfill`` loads a SQLite shop's event journal into ClickHouse: the
warehouse then answers every report with the figures of the SQL read models replayed from the
same journal; ``commerce analytics forecast`` reads the warehouse."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from clickhouse_history import START, history
from test_clickhouse_reporting import every_report
from typer.testing import CliRunner

from adapters.clickhouse.connection import ClickHouse
from adapters.clickhouse.reporting import ClickHouseReportingStore
from adapters.sqlalchemy.database import Database
from adapters.sqlalchemy.reporting import SqlEventJournal, SqlReportingStore
from commerce_core.reporting.replay import rebuild
from entrypoints import db
from entrypoints.cli import app
from entrypoints.settings import Settings

pytestmark = pytest.mark.integration


async def journal_and_replay(database_url: str, events: list) -> list[object]:
    await db.upgrade(Settings(database_url=database_url))
    database = Database(database_url)
    try:
        journal, store = SqlEventJournal(database), SqlReportingStore(database)
        await journal.append(events)
        await rebuild(journal, store)
        return await every_report(store)
    finally:
        await database.dispose()


async def warehouse_reports(clickhouse_url: str) -> list[object]:
    connection = ClickHouse(clickhouse_url)
    try:
        return await every_report(ClickHouseReportingStore(connection))
    finally:
        await connection.aclose()


def test_backfill_equals_the_sql_read_models_then_forecast_reads_it(
    clickhouse_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    database_url = f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    events = history(seed=21)
    sql_reports = asyncio.run(journal_and_replay(database_url, events))
    env = {"COMMERCE_DATABASE_URL": database_url, "COMMERCE_CLICKHOUSE_URL": clickhouse_url}

    result = runner.invoke(app, ["analytics", "backfill", "--batch-size", "500"], env=env)
    assert result.exit_code == 0, result.output
    assert f"loaded {len(events)} new events" in result.stdout
    again = runner.invoke(app, ["analytics", "backfill"], env=env)
    assert "loaded 0 new events" in again.stdout
    compacted = runner.invoke(app, ["analytics", "compact"], env=env)
    assert compacted.exit_code == 0, compacted.output
    assert "compacted the facts of 12 products" in compacted.stdout
    assert asyncio.run(warehouse_reports(clickhouse_url)) == sql_reports

    today = (START.date() + timedelta(days=35)).isoformat()
    command = ["analytics", "forecast", "--today", today, "--lead-time-days", "10"]
    forecast = runner.invoke(app, command, env=env)
    assert forecast.exit_code == 0, forecast.output
    assert "Reorder suggestions" in forecast.stdout

    # The warehouse and the SQL read models give the same suggestions.
    from_warehouse = runner.invoke(app, [*command, "--format", "json"], env=env)
    sql_only = {"COMMERCE_DATABASE_URL": database_url}
    from_sql = runner.invoke(app, [*command, "--format", "json"], env=sql_only)
    assert from_warehouse.exit_code == from_sql.exit_code == 0, from_sql.output
    suggestions = json.loads(from_warehouse.stdout)
    assert suggestions == json.loads(from_sql.stdout)
    assert suggestions["rows"], "the history's fast sellers run short"
