"""``commerce inventory``: receive a CSV delivery, adjust by sku, list low stock."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from entrypoints.cli import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"COMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shop.db"}


@pytest.fixture
def runner(tmp_path: Path, env: dict[str, str]) -> CliRunner:
    runner = CliRunner()
    products = tmp_path / "products.csv"
    products.write_text(
        "sku,name,description,category,price,currency,stock\n"
        "A1,Apple,,fruit,1.00,EUR,10\nB2,Bread,,food,2.00,EUR,1\n"
    )
    result = runner.invoke(app, ["products", "import", str(products)], env=env)
    assert result.exit_code == 0, result.output
    return runner


def _receive(runner: CliRunner, env: dict[str, str], file: Path, reference: str) -> Result:
    return runner.invoke(
        app, ["inventory", "receive", str(file), "--supplier-reference", reference], env=env
    )


def _on_hand(runner: CliRunner, env: dict[str, str], sku: str) -> int:
    # The CLI has no stock query: read the figure off a +1/-1 pair of adjustments.
    result = runner.invoke(app, ["inventory", "adjust", sku, "1", "--reason", "admin"], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["inventory", "adjust", sku, "-1", "--reason", "admin"], env=env)
    assert result.exit_code == 0, result.output
    return int(result.stdout.split("on hand ")[1].split(",")[0])


def test_a_delivery_with_bad_lines_books_none_and_reports_each(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    delivery = tmp_path / "delivery.csv"
    delivery.write_text("sku,quantity\nA1,5\nNOPE,1\nB2,0\nB2,x\nB2,4\n")
    result = _receive(runner, env, delivery, "PO-9")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["line 4", "line 5"]
    assert "nothing received: 2 of 5 lines rejected" in lines[-1]
    assert (_on_hand(runner, env, "A1"), _on_hand(runner, env, "B2")) == (10, 1)

    delivery.write_text("sku,quantity\nA1,5\nNOPE,1\nB2,4\nGHOST,2\n")  # unknown skus
    result = _receive(runner, env, delivery, "PO-9")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:2] == ["line 3: no product has sku 'NOPE'", "line 5: no product has sku 'GHOST'"]
    assert (_on_hand(runner, env, "A1"), _on_hand(runner, env, "B2")) == (10, 1)

    delivery.write_text("sku,quantity\nA1,5\nB2,4\n")  # fixed: the same reference books it
    result = _receive(runner, env, delivery, "PO-9")
    assert result.exit_code == 0, result.output
    assert "received 2 lines" in result.stdout
    assert (_on_hand(runner, env, "A1"), _on_hand(runner, env, "B2")) == (15, 5)


def test_receiving_the_same_file_twice_changes_stock_once(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    delivery = tmp_path / "delivery.csv"
    delivery.write_text("sku,quantity\nA1,5\nB2,4\nA1,1\n")
    first = _receive(runner, env, delivery, "PO-10")
    assert first.exit_code == 0, first.output
    assert "received 3 lines (reference PO-10)" in first.stdout
    again = _receive(runner, env, delivery, "PO-10")
    assert again.exit_code == 0, again.output
    assert "PO-10 was received already" in again.stdout
    assert "nothing changed" in again.stdout
    assert (_on_hand(runner, env, "A1"), _on_hand(runner, env, "B2")) == (16, 5)

    other = tmp_path / "other.csv"
    other.write_text("sku,quantity\nA1,7\n")
    reused = _receive(runner, env, other, "PO-10")  # another delivery under a used reference
    assert reused.exit_code == 1
    assert "received already" in reused.stderr
    assert "with other lines; nothing changed" in reused.stderr
    assert _on_hand(runner, env, "A1") == 16

    second = runner.invoke(
        app, ["inventory", "receive", str(other), "--reference", "PO-11"], env=env
    )
    assert second.exit_code == 0, second.output
    assert _on_hand(runner, env, "A1") == 23


@pytest.mark.parametrize(
    ("content", "reference", "message"),
    [
        ("sku,quantity\n", "PO-1", "no lines under the header"),
        ("sku\nA1\n", "PO-1", "the header lacks quantity"),
        ("sku,quantity\nA1,1\n", "   ", "--supplier-reference must have 1 to 200 characters"),
        ("sku,quantity\nA1,1\n", "R" * 201, "--supplier-reference must have 1 to 200"),
        ("sku,quantity\n" + "A1,1\n" * 501, "PO-1", "a receipt has 1 to 500 lines"),
    ],
)
def test_receive_input_errors_are_one_line(
    runner: CliRunner,
    env: dict[str, str],
    tmp_path: Path,
    content: str,
    reference: str,
    message: str,
) -> None:
    delivery = tmp_path / "delivery.csv"
    delivery.write_text(content)
    result = _receive(runner, env, delivery, reference)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert _on_hand(runner, env, "A1") == 10


def test_adjust_errors_are_one_line(runner: CliRunner, env: dict[str, str]) -> None:
    result = runner.invoke(app, ["inventory", "adjust", "NOPE", "1", "--reason", "admin"], env=env)
    assert result.exit_code == 1
    assert "no product has sku 'NOPE'" in result.stderr
    result = runner.invoke(app, ["inventory", "adjust", "B2", "-5", "--reason", "damage"], env=env)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["inventory", "adjust", "B2", "1", "--reason", "theft"], env=env)
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
