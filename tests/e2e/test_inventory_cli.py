"""``commerce inventory``: receive a CSV delivery, adjust by sku, list low stock."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from entrypoints.cli import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"COMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shop.db"}


@pytest.fixture
def runner(tmp_path: Path, env: dict[str, str]) -> CliRunner:
    runner = CliRunner()
    products = tmp_path / "products.csv"
    products.write_text("sku,name,description,category,price,currency,stock\n"
                        "A1,Apple,,fruit,1.00,EUR,10\nB2,Bread,,food,2.00,EUR,1\n")
    result = runner.invoke(app, ["products", "import", str(products)], env=env)
    assert result.exit_code == 0, result.output
    return runner


def test_receive_books_good_lines_and_reports_bad_ones(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    delivery = tmp_path / "delivery.csv"
    delivery.write_text("sku,quantity\nA1,5\nNOPE,1\nB2,0\nB2,x\nB2,4\n")
    result = runner.invoke(app, ["inventory", "receive", str(delivery),
                                 "--supplier-reference", "PO-9"], env=env)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["line 3", "line 4", "line 5"]
    assert "received 2 of 5 lines" in lines[-1]
    result = runner.invoke(app, ["inventory", "adjust", "A1", "-3", "--reason", "damage"],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "on hand 12" in result.stdout  # 10 + 5 received - 3 damaged
    result = runner.invoke(app, ["inventory", "adjust", "B2", "1", "--reason", "return",
                                 "--reference", "RMA-1"], env=env)
    assert "on hand 6" in result.stdout  # 1 + 4 received + 1 returned


def test_adjust_errors_are_one_line(runner: CliRunner, env: dict[str, str]) -> None:
    result = runner.invoke(app, ["inventory", "adjust", "NOPE", "1", "--reason", "admin"],
                           env=env)
    assert result.exit_code == 1
    assert "no product has sku 'NOPE'" in result.stderr
    result = runner.invoke(app, ["inventory", "adjust", "B2", "-5", "--reason", "damage"],
                           env=env)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["inventory", "adjust", "B2", "1", "--reason", "theft"],
                           env=env)
    assert result.exit_code == 1
    assert "reason must be one of" in result.stderr


def test_low_stock_lists_products_under_their_threshold(
    runner: CliRunner, env: dict[str, str]
) -> None:
    result = runner.invoke(app, ["inventory", "low-stock"], env=env)
    assert result.exit_code == 0, result.output
    assert "B2" in result.stdout
    assert "Bread" in result.stdout
    assert "A1" not in result.stdout
