"""GET /reports/*: real orders placed through the API, then read back as JSON, CSV and PDF; the
exports agree with the JSON figures; bad queries are 422 problems; admins only."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.system import ManualClock
from api.support import Api, assert_problem
from integration.databases import require_service

DAY = "2026-01-01"  # the ManualClock's day


async def place_orders(api: Api, admin: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Two products in two categories and currencies; three confirmed orders, one declined, one
    cancelled by its customer."""
    pen = await api.product(
        admin, name="Pen", category="office", price="2.50", stock=20, currency="EUR"
    )
    lamp = await api.product(
        admin, name="Lamp", category="home", price="19.99", stock=6, currency="USD"
    )
    buyer = await api.customer()
    for product, quantity in ((pen, 3), (lamp, 2), (pen, 1)):
        await api.in_cart(buyer, product["id"], quantity)
        response = await api.checkout(buyer)
        assert response.status_code == 201, response.text
    await api.in_cart(buyer, pen["id"], 5)
    assert (await api.checkout(buyer, token="tok_chargeDeclined")).status_code == 402
    await api.http.delete("/cart", headers=buyer["headers"])
    await api.in_cart(buyer, lamp["id"], 1)
    cancelled = (await api.checkout(buyer)).json()
    response = await api.http.post(f"/orders/{cancelled['id']}/cancel", headers=buyer["headers"])
    assert response.status_code == 200, response.text
    return {"pen": pen, "lamp": lamp}


async def poppler(*command: str) -> str:
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, check=True, text=True
    )
    return done.stdout


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_sales_by_product_count_confirmed_orders_net_of_cancellations(api: Api) -> None:
    admin = await api.admin()
    products = await place_orders(api, admin)
    response = await api.http.get(
        "/reports/sales",
        headers=admin["headers"],
        params={"from": DAY, "to": DAY, "group_by": "product"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    rows = {row["label"]: row for row in report["rows"]}
    assert rows["Pen"] == {
        "key": products["pen"]["id"],
        "label": "Pen",
        "currency": "EUR",
        "orders": 2,
        "units": 4,
        "revenue": "10.00",
    }
    assert rows["Lamp"]["orders"] == 1  # the cancelled order no longer counts
    assert rows["Lamp"]["revenue"] == "39.98"
    assert report["totals"] == [  # one per currency, never added up
        {"currency": "EUR", "orders": 2, "units": 4, "revenue": "10.00"},
        {"currency": "USD", "orders": 1, "units": 2, "revenue": "39.98"},
    ]
    assert (report["date_from"], report["date_to"], report["group_by"]) == (DAY, DAY, "product")


@pytest.mark.parametrize("group_by", ["day", "product", "category"])
async def test_the_sales_csv_parses_back_to_the_json_figures(api: Api, group_by: str) -> None:
    admin = await api.admin()
    await place_orders(api, admin)
    params = {"from": "2025-12-30", "to": "2026-01-02", "group_by": group_by}
    report = (await api.http.get("/reports/sales", params=params, headers=admin["headers"])).json()
    response = await api.http.get(
        "/reports/sales", params={**params, "format": "csv"}, headers=admin["headers"]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="sales_{group_by}_2025-12-30_2026-01-02.csv"'
    )
    lines = parse_csv(response.text)
    as_json = lambda line: {  # noqa: E731 - the CSV line in the JSON report's shape
        "currency": line["currency"],
        "orders": int(line["orders"]),
        "units": int(line["units"]),
        "revenue": str(Decimal(line["revenue"])),
    }
    assert [
        {"key": ln["key"], "label": ln["label"], **as_json(ln)}
        for ln in lines
        if ln["kind"] == "row"
    ] == report["rows"]
    assert [as_json(ln) for ln in lines if ln["kind"] == "total"] == report["totals"]
    assert report["rows"]  # the period holds the orders


async def test_the_sales_pdf_holds_the_totals(api: Api, tmp_path: Path) -> None:
    require_service(
        shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None,
        "pdftoppm/pdftotext (Debian's poppler-utils) are not installed",
    )
    admin = await api.admin()
    await place_orders(api, admin)
    params = {"from": DAY, "to": DAY, "group_by": "category"}
    report = (await api.http.get("/reports/sales", params=params, headers=admin["headers"])).json()
    response = await api.http.get(
        "/reports/sales", params={**params, "format": "pdf"}, headers=admin["headers"]
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    (tmp_path / "sales.pdf").write_bytes(response.content)
    await poppler(
        "pdftoppm",
        "-png",
        "-r",
        "40",
        "-singlefile",
        str(tmp_path / "sales.pdf"),
        str(tmp_path / "sales"),
    )
    assert (tmp_path / "sales.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = await poppler("pdftotext", "-layout", str(tmp_path / "sales.pdf"), "-")
    for total in report["totals"]:
        assert (
            f"Total {total['currency']}: revenue {total['revenue']}, {total['orders']} "
            f"orders, {total['units']} units"
        ) in text
    for row in report["rows"]:
        assert row["label"] in text


async def test_inventory_and_low_stock_in_every_format(api: Api) -> None:
    admin = await api.admin()
    products = await place_orders(api, admin)
    inventory = (await api.http.get("/reports/inventory", headers=admin["headers"])).json()
    rows = {row["product_id"]: row for row in inventory["rows"]}
    lamp = rows[products["lamp"]["id"]]
    assert (lamp["on_hand"], lamp["available"], lamp["sold"]) == (4, 4, 2)
    assert inventory["total_available"] == sum(r["available"] for r in inventory["rows"])
    lines = parse_csv(
        (
            await api.http.get(
                "/reports/inventory", params={"format": "csv"}, headers=admin["headers"]
            )
        ).text
    )
    assert {ln["product_id"]: int(ln["available"]) for ln in lines if ln["kind"] == "row"} == {
        row["product_id"]: row["available"] for row in inventory["rows"]
    }
    assert int(lines[-1]["available"]) == inventory["total_available"]

    low = (await api.http.get("/reports/low-stock", headers=admin["headers"])).json()
    assert [(r["sku"], r["available"], r["threshold"]) for r in low["rows"]] == [
        (products["lamp"]["sku"], 4, 5)
    ]
    lines = parse_csv(
        (
            await api.http.get(
                "/reports/low-stock", params={"format": "csv"}, headers=admin["headers"]
            )
        ).text
    )
    assert [(ln["sku"], int(ln["available"])) for ln in lines] == [(products["lamp"]["sku"], 4)]
    pdf = await api.http.get(
        "/reports/low-stock", params={"format": "pdf"}, headers=admin["headers"]
    )
    assert pdf.content.startswith(b"%PDF-")


async def test_the_funnel_counts_each_step(api: Api) -> None:
    admin = await api.admin()
    await place_orders(api, admin)
    response = await api.http.get(
        "/reports/funnel", params={"from": DAY, "to": DAY}, headers=admin["headers"]
    )
    assert response.status_code == 200, response.text
    funnel = response.json()
    assert funnel["orders_created"] == 5
    assert funnel["orders_confirmed"] == 4
    assert funnel["orders_cancelled"] == 2  # declined, then cancelled by the customer
    assert funnel["orders_created"] >= funnel["orders_paid"] >= funnel["orders_confirmed"]


async def test_a_report_on_a_day_without_orders_is_empty(api: Api, clock: ManualClock) -> None:
    admin = await api.admin()
    await place_orders(api, admin)
    response = await api.http.get(
        "/reports/sales",
        params={"from": "2026-01-02", "to": "2026-01-02"},
        headers=admin["headers"],
    )
    assert response.json()["rows"] == []
    assert response.json()["totals"] == []


PATHS = [
    "/reports/sales?from=2026-01-01&to=2026-01-31",
    "/reports/inventory",
    "/reports/low-stock",
    "/reports/funnel?from=2026-01-01&to=2026-01-31",
]


@pytest.mark.parametrize("path", PATHS)
async def test_reports_are_for_admins(api: Api, path: str) -> None:
    assert_problem(await api.http.get(path), 401)
    customer = await api.customer()
    assert_problem(await api.http.get(path, headers=customer["headers"]), 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=2026-01-31", "from"),
        ("from=2026-01-01", "to"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-1-1&to=2026-03-01", "from"),
        ("from=20260101&to=2026-03-01", "from"),
        ("from=2026-01-01&to=tomorrow", "to"),
        ("from=2026-03-01&to=2026-02-28", "to"),
        ("from=2020-01-01&to=2026-01-01", "to"),
        ("from=0001-01-01&to=2026-01-02", "from"),
        ("from=2026-01-01&to=9999-12-31", "to"),
        ("from=2026-01-01&to=2026-01-02&group_by=week", "group_by"),
        ("from=2026-01-01&to=2026-01-02&format=xlsx", "format"),
        ("from=2026-01-01&to=2026-01-02&currency=EUR", "currency"),
    ],
)
async def test_a_bad_sales_query_is_a_422_problem(api: Api, query: str, field: str) -> None:
    admin = await api.admin()
    problem = assert_problem(
        await api.http.get(f"/reports/sales?{query}", headers=admin["headers"]), 422
    )
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/reports/funnel?from=2026-02-01&to=2026-01-01", "to"),
        ("/reports/funnel?from=2026-02-01", "to"),
        ("/reports/inventory?format=docx", "format"),
        ("/reports/low-stock?format=", "format"),
    ],
)
async def test_bad_queries_of_the_other_reports_are_422(api: Api, path: str, field: str) -> None:
    admin = await api.admin()
    problem = assert_problem(await api.http.get(path, headers=admin["headers"]), 422)
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_the_openapi_document_describes_the_reports(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    sales = document["paths"]["/reports/sales"]["get"]
    parameters = {p["name"]: p for p in sales["parameters"]}
    assert parameters["from"]["required"] is True
    assert parameters["from"]["schema"]["format"] == "date"
    assert parameters["group_by"]["schema"]["enum"] == ["day", "product", "category"]
    assert set(sales["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "application/pdf",
    }
    assert sales["security"] == [{"bearer": []}]
    assert {"/reports/inventory", "/reports/low-stock", "/reports/funnel"} <= set(document["paths"])
