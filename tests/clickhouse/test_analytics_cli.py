"""``commerce analytics``: backfill loads the journal of a SQLite shop into ClickHouse with the
same figures as the SQL read models replayed from it; forecast prints reorder suggestions; user
errors are one line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from entrypoints.cli import app

MEMORY = {"COMMERCE_DATABASE_URL": "memory://"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("command", ["backfill", "compact"])
def test_warehouse_commands_need_the_warehouse_url(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, ["analytics", command], env=MEMORY)
    assert result.exit_code == 1
    assert "COMMERCE_CLICKHOUSE_URL" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--lead-time-days", "0"], "lead_time_days"),
        (["--service-level", "1.5"], "service_level"),
        (["--today", "someday"], "--today"),
        (["--format", "xml"], "--format"),
    ],
)
def test_forecast_options_out_of_range_are_one_line_errors(
    runner: CliRunner, options: list[str], message: str
) -> None:
    result = runner.invoke(app, ["analytics", "forecast", *options], env=MEMORY)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_shop_has_nothing_to_reorder(runner: CliRunner) -> None:
    result = runner.invoke(app, ["analytics", "forecast", "--format", "json"], env=MEMORY)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == []
