"""CSV and PDF exports of hand-built reports: the CSV parses back to the report's figures; the PDF
renders with poppler (pdftoppm, pdftotext), holds the totals and draws its chart."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from adapters.reporting_exports import (
    inventory_csv,
    inventory_pdf,
    low_stock_csv,
    low_stock_pdf,
    sales_csv,
    sales_pdf,
)
from adapters.reporting_exports.pdf_export import BAR_COLOURS
from commerce_core.reporting.model import (
    InventoryReport,
    InventoryRow,
    LowStockReport,
    LowStockRow,
    SalesGrouping,
    SalesReport,
    SalesRow,
    SalesTotal,
)
from integration.databases import require_service

START = date(2026, 3, 1)


def sales_report(
    group_by: SalesGrouping = SalesGrouping.DAY,
    days: int = 10,
    currencies: tuple[str, ...] = ("EUR",),
) -> SalesReport:
    rows = []
    for currency in currencies:
        for n in range(0, days, 2):  # every other day: the gaps are days without a sale
            day = (START + timedelta(days=n)).isoformat()
            rows.append(SalesRow(day, day, currency, n + 1, 2 * n + 1, Decimal("19.99") * (n + 1)))
    rows.sort(key=lambda row: (row.key, row.currency))
    totals = tuple(
        SalesTotal(
            currency,
            sum(r.orders for r in rows if r.currency == currency),
            sum(r.units for r in rows if r.currency == currency),
            sum((r.revenue for r in rows if r.currency == currency), Decimal(0)),
        )
        for currency in sorted(currencies)
    )
    return SalesReport(START, START + timedelta(days=days - 1), group_by, tuple(rows), totals)


def inventory_report(names: tuple[str, ...] = ("Apple", "Bread", "Cheese")) -> InventoryReport:
    rows = tuple(
        InventoryRow(
            f"p{i}",
            f"SKU-{i}",
            name,
            "food",
            on_hand=10 * i + 3,
            reserved=i,
            available=9 * i + 3,
            low_stock_threshold=5,
            received=12 * i,
            sold=2 * i,
            returned=i,
            adjusted=-i,
        )
        for i, name in enumerate(names)
    )
    return InventoryReport(rows, sum(r.on_hand for r in rows), sum(r.available for r in rows))


def parse(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


# -- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("currencies", [("EUR",), ("EUR", "USD")])
def test_the_sales_csv_parses_back_to_the_reports_figures(currencies: tuple[str, ...]) -> None:
    report = sales_report(currencies=currencies)
    lines = parse(sales_csv(report))
    rows = [line for line in lines if line["kind"] == "row"]
    totals = [line for line in lines if line["kind"] == "total"]
    assert [
        (
            r["key"],
            r["label"],
            r["currency"],
            int(r["orders"]),
            int(r["units"]),
            Decimal(r["revenue"]),
        )
        for r in rows
    ] == [(r.key, r.label, r.currency, r.orders, r.units, r.revenue) for r in report.rows]
    assert [
        (t["currency"], int(t["orders"]), int(t["units"]), Decimal(t["revenue"])) for t in totals
    ] == [(t.currency, t.orders, t.units, t.revenue) for t in report.totals]
    # The totals come last, one per currency: a reader sums nothing across currencies.
    assert [line["kind"] for line in lines[-len(currencies) :]] == ["total"] * len(currencies)


def test_the_inventory_csv_has_every_row_then_the_totals() -> None:
    report = inventory_report()
    lines = parse(inventory_csv(report))
    assert [
        (r["sku"], int(r["on_hand"]), int(r["available"]), int(r["adjusted"])) for r in lines[:-1]
    ] == [(r.sku, r.on_hand, r.available, r.adjusted) for r in report.rows]
    assert lines[-1]["kind"] == "total"
    assert int(lines[-1]["on_hand"]) == report.total_on_hand
    assert int(lines[-1]["available"]) == report.total_available


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_kept_as_text() -> None:
    report = inventory_report(names=('=HYPERLINK("http://x")', "Plain, with a comma"))
    lines = parse(inventory_csv(report))
    assert lines[0]["name"] == '\'=HYPERLINK("http://x")'
    assert lines[1]["name"] == "Plain, with a comma"
    assert lines[1]["adjusted"] == "-1"  # numbers are never prefixed


def test_the_low_stock_csv_lists_each_product() -> None:
    report = LowStockReport(
        (LowStockRow("p1", "A-1", "Apple", 0, 5), LowStockRow("p2", "B-2", "Bread", 3, 5))
    )
    assert [
        (r["sku"], int(r["available"]), int(r["threshold"])) for r in parse(low_stock_csv(report))
    ] == [("A-1", 0, 5), ("B-2", 3, 5)]


# -- PDF ---------------------------------------------------------------------------------------


def _poppler() -> None:
    require_service(
        shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None,
        "pdftoppm/pdftotext (Debian's poppler-utils) are not installed",
    )


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def first_page_png(pdf: bytes, tmp_path: Path) -> Image.Image:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    return Image.open(tmp_path / "page.png").convert("RGB")


def bar_pixels(image: Image.Image, colour_index: int = 0) -> int:
    colour = BAR_COLOURS[colour_index]
    wanted = tuple(round(c * 255) for c in (colour.red, colour.green, colour.blue))
    histogram = {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 20) or []}
    return histogram.get(wanted, 0)


@pytest.mark.parametrize("group_by", list(SalesGrouping))
def test_the_sales_pdf_renders_its_totals_and_a_chart(
    group_by: SalesGrouping, tmp_path: Path
) -> None:
    _poppler()
    report = sales_report(group_by, currencies=("EUR", "USD"))
    pdf = sales_pdf(report)
    text = pdf_text(pdf, tmp_path)
    for total in report.totals:
        assert (
            f"Total {total.currency}: revenue {total.revenue}, {total.orders} orders, "
            f"{total.units} units" in text
        )
    total_lines = [line.split() for line in text.splitlines() if line.startswith("Total ")]
    assert [line[-4:] for line in total_lines if line[1] in ("EUR", "USD")] == [
        [t.currency, str(t.orders), str(t.units), str(t.revenue)] for t in report.totals
    ]
    assert bar_pixels(first_page_png(pdf, tmp_path)) > 200  # the revenue bars are drawn


def test_a_long_daily_sales_pdf_is_charted_by_month_and_lists_every_day(tmp_path: Path) -> None:
    _poppler()
    report = sales_report(days=200)
    text = pdf_text(sales_pdf(report), tmp_path)
    assert "Revenue by month (EUR)" in text
    assert all(row.key in text for row in report.rows)


def test_the_inventory_and_low_stock_pdfs_show_their_figures(tmp_path: Path) -> None:
    _poppler()
    report = inventory_report(names=("Café <b>crème</b> & co", "Bread", "Cheese"))
    pdf = inventory_pdf(report, today=date(2026, 3, 9))
    text = pdf_text(pdf, tmp_path)
    assert (
        f"Total on hand: {report.total_on_hand} units, available: "
        f"{report.total_available} units" in text
    )
    assert "Café <b>crème</b> & co" in text  # printed as written, not read as markup
    image = first_page_png(pdf, tmp_path)
    assert bar_pixels(image, 0) > 100  # available
    assert bar_pixels(image, 1) > 100  # threshold

    low = LowStockReport((LowStockRow("p1", "A-1", "Apple", 1, 5),))
    text = pdf_text(low_stock_pdf(low), tmp_path)
    assert "A-1" in text
    assert "Apple" in text
    assert "No product" in pdf_text(low_stock_pdf(LowStockReport(())), tmp_path)
