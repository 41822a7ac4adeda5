"""The ``commerce`` CLI: exit codes, one-line errors on stderr, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from entrypoints.cli import app

PASSWORD = "correct horse battery"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _env(url: str = "memory://") -> dict[str, str]:
    return {"COMMERCE_DATABASE_URL": url}


def test_create_admin(runner: CliRunner) -> None:
    result = runner.invoke(app, ["users", "create-admin", "--email", "a@example.com",
                                 "--password", PASSWORD], env=_env())
    assert result.exit_code == 0, result.output
    assert "a@example.com" in result.stdout


def test_a_weak_password_is_one_line_on_stderr(runner: CliRunner) -> None:
    result = runner.invoke(app, ["users", "create-admin", "--email", "a@example.com",
                                 "--password", "short"], env=_env())
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "at least 8 characters" in result.stderr
    assert "Traceback" not in result.output


def test_import_keeps_good_rows_and_reports_bad_ones(runner: CliRunner, tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text(
        "sku,name,description,category,price,currency,stock\n"
        "A1,Apple,Red,fruit,1.20,USD,10\n"
        "A2,,x,fruit,1,USD,1\n"
        "A3,Pear,x,fruit,abc,USD,1\n"
        "A1,Apple again,x,fruit,1,USD,1\n"
        "A5,Kiwi,x,fruit,0.99,USD,3\n"
    )
    result = runner.invoke(app, ["products", "import", str(csv)], env=_env())
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["line 3", "line 4", "line 5"]
    assert "imported 2 of 5 rows" in lines[-1]


def test_import_of_a_clean_file_succeeds(runner: CliRunner, tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("sku,name,description,category,price,currency,stock\n"
                   "B1,Bread,,food,2.00,EUR,4\n")
    result = runner.invoke(app, ["products", "import", str(csv)], env=_env())
    assert result.exit_code == 0, result.output
    assert "imported 1 products" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("sku,name\nA,B\n", "the header lacks")],
)
def test_import_of_an_unusable_file_fails_in_one_line(
    runner: CliRunner, tmp_path: Path, content: str | None, message: str
) -> None:
    csv = tmp_path / "p.csv"
    if content is not None:
        csv.write_text(content)
    result = runner.invoke(app, ["products", "import", str(csv)], env=_env())
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_db_upgrade(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    result = runner.invoke(app, ["db", "upgrade"], env=_env(url))
    assert result.exit_code == 0, result.output
    assert "revision" in result.stdout
    memory = runner.invoke(app, ["db", "upgrade"], env=_env())
    assert memory.exit_code == 1
    assert "memory://" in memory.stderr


def test_a_bad_setting_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["users", "create-admin", "--email", "a@example.com",
                                 "--password", PASSWORD],
                           env={**_env(), "COMMERCE_CHECKOUT_WAIT_MS": "soon"})
    assert result.exit_code == 1
    assert "COMMERCE_CHECKOUT_WAIT_MS" in result.stderr


def test_serve_with_an_unreachable_database_fails_in_one_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", "--port", "1"],
                           env=_env("postgresql+asyncpg://nobody@127.0.0.1:1/shop"))
    assert result.exit_code == 1
    assert result.stderr.startswith("commerce: cannot start:")
    assert result.stderr.strip().count("\n") == 0
