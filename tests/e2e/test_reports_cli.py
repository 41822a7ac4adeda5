"""``commerce reports``: the reports to standard output or a file, one-line errors, a rebuild."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from adapters.security.passwords import Argon2PasswordHasher
from api.support import Api
from api.test_reports import place_orders
from entrypoints.cli import app
from entrypoints.container import build_container
from entrypoints.http import create_app
from entrypoints.settings import Settings

ENV = {"COMMERCE_DATABASE_URL": "memory://"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_sales_as_json_on_standard_output(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "reports",
            "sales",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--group-by",
            "category",
        ],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["date_from"], report["date_to"], report["group_by"]) == (
        "2026-01-01",
        "2026-01-31",
        "category",
    )
    assert report["rows"] == []  # a new in-memory shop has sold nothing


def test_each_report_in_each_format_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    commands = {
        "sales": ["reports", "sales", "--from", "2026-01-01", "--to", "2026-01-31"],
        "inventory": ["reports", "inventory"],
        "low-stock": ["reports", "low-stock"],
    }
    for name, command in commands.items():
        for fmt in ("json", "csv", "pdf"):
            out = tmp_path / f"{name}.{fmt}"
            result = runner.invoke(app, [*command, "--format", fmt, "--out", str(out)], env=ENV)
            assert result.exit_code == 0, result.output
            assert f"written to {out}" in result.stderr
            content = out.read_bytes()
            if fmt == "pdf":
                assert content.startswith(b"%PDF-")
            elif fmt == "csv":
                header = next(csv.reader(io.StringIO(content.decode())))
                assert "available" in header or "revenue" in header
            else:
                assert isinstance(json.loads(content), dict)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from must be a date"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "--to must be on or after from"),
        (["--from", "2020-01-01", "--to", "2026-01-01"], "at most 1098 days"),
        (["--from", "2026-01-01", "--to", "2026-01-02", "--group-by", "week"], "--group-by"),
        (["--from", "2026-01-01", "--to", "2026-01-02", "--format", "xlsx"], "--format"),
        (["--from", "2026-01-01", "--to", "2026-01-02", "--format", "pdf"], "needs --out"),
        (
            ["--from", "2026-01-01", "--to", "2026-01-02", "--out", "/nonexistent/dir/r.json"],
            "cannot write",
        ),
    ],
)
def test_a_bad_argument_is_one_line_on_stderr(
    runner: CliRunner, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["reports", "sales", *arguments], env=ENV)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_rebuild_replays_the_journal(runner: CliRunner) -> None:
    result = runner.invoke(app, ["reports", "rebuild", "--batch-size", "100"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "rebuilt the reports from 0 events" in result.stdout
    result = runner.invoke(app, ["reports", "rebuild", "--batch-size", "0"], env=ENV)
    assert result.exit_code == 1
    assert "--batch-size" in result.stderr


async def _orders_through_the_api(database_url: str) -> None:
    settings = Settings(database_url=database_url, payment_timeout_s=0.05)
    container = build_container(settings)
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    app = create_app(container)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            api = Api(client, app)
            await place_orders(api, await api.admin())


def test_a_sqlite_shops_reports_survive_a_rebuild(runner: CliRunner, tmp_path: Path) -> None:
    """Orders placed by one process are read by the CLI from the SQL read models; replaying the
    event journal gives the same figures."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    env = {"COMMERCE_DATABASE_URL": url}
    asyncio.run(_orders_through_the_api(url))
    today = str(datetime.now(UTC).date())
    commands = [
        ["reports", "sales", "--from", today, "--to", today, "--group-by", "product"],
        ["reports", "inventory", "--format", "csv"],
        ["reports", "low-stock"],
    ]
    before = [runner.invoke(app, command, env=env) for command in commands]
    assert all(result.exit_code == 0 for result in before), [r.output for r in before]
    sales = json.loads(before[0].stdout)
    assert [(t["currency"], t["orders"], t["revenue"]) for t in sales["totals"]] == [
        ("EUR", 2, "10.00"),
        ("USD", 1, "39.98"),
    ]
    rebuilt = runner.invoke(app, ["reports", "rebuild", "--batch-size", "7"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    replayed = int(rebuilt.stdout.split("from ")[1].split()[0])
    assert replayed > 0
    after = [runner.invoke(app, command, env=env) for command in commands]
    assert [result.stdout for result in after] == [result.stdout for result in before]
