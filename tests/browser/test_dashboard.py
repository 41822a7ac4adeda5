"""/dashboard in Debian's headless Chromium, against ``commerce serve`` as a real process on a
SQLite file, with orders placed through the API: the admin signs in on the page, both charts are
drawn from the report routes' figures, no console error, and a screenshot is kept as an artifact
(``$ARTIFACTS_DIR``, else ``artifacts/`` at the repository root).

Needs ``chromium`` and ``chromium-driver`` (Debian): skipped without them, failed in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from e2e.serving import commerce, serving
from integration.databases import require_service

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ADMIN = "boss@example.com"
PRODUCTS = [  # sku, name, category, price, stock; LAMP ends under its threshold of 5
    ("MUG-1", "Blue mug", "kitchen", "8.50", 40),
    ("LAMP-1", "Desk lamp", "home", "24.00", 6),
    ("PEN-1", "Fountain pen", "office", "12.25", 25),
]
ORDERS = [[("MUG-1", 3), ("PEN-1", 1)], [("LAMP-1", 2)], [("MUG-1", 1), ("LAMP-1", 1)]]


def _seed(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        login = http.post("/auth/login", json={"email": ADMIN, "password": PASSWORD})
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        ids = {}
        for sku, name, category, price, stock in PRODUCTS:
            response = http.post(
                "/products",
                headers=admin,
                json={
                    "sku": sku,
                    "name": name,
                    "description": "",
                    "category": category,
                    "price": price,
                    "currency": "EUR",
                    "stock": stock,
                },
            )
            assert response.status_code == 201, response.text
            ids[sku] = response.json()["id"]
        registered = http.post(
            "/auth/register",
            json={
                "email": "ana@example.com",
                "password": PASSWORD,
                "name": "Ana",
            },
        )
        customer = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        for lines in ORDERS:
            for sku, quantity in lines:
                response = http.post(
                    "/cart/items",
                    headers=customer,
                    json={"product_id": ids[sku], "quantity": quantity},
                )
                assert response.status_code == 200, response.text
            response = http.post(
                "/orders/checkout",
                headers=customer,
                json={"payment_method": {"type": "card", "token": "tok_visa"}},
            )
            assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("dashboard")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_")}
    env["COMMERCE_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder / 'shop.db'}"
    admin = commerce("users", "create-admin", "--email", ADMIN, "--password", PASSWORD, env=env)
    assert admin.returncode == 0, admin.stderr
    with serving(env) as base:
        _seed(base)
        yield base


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    require_service(
        chromium is not None and driver is not None,
        "Debian's chromium and chromium-driver are not installed",
    )
    assert chromium is not None
    assert driver is not None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1150",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()


def _sign_in(browser: webdriver.Chrome, base: str, email: str) -> None:
    browser.get(f"{base}/dashboard")
    browser.find_element(By.ID, "login-email").send_keys(email)
    browser.find_element(By.ID, "login-password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()


def _state(browser: webdriver.Chrome, *wanted: str) -> str:
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-state") in wanted
    )
    return str(browser.find_element(By.TAG_NAME, "body").get_attribute("data-state"))


# What each chart holds and how many of its canvas pixels are painted.
CHARTS_JS = """
return ["sales-chart", "stock-chart"].map((id) => {
  const canvas = document.getElementById(id);
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {
    id, painted, labels: chart ? chart.data.labels : null,
    datasets: chart ? chart.data.datasets.map((d) => ({label: d.label, data: d.data})) : null,
  };
});
"""


def _console_errors(browser: webdriver.Chrome) -> list[dict[str, Any]]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_an_admin_sees_charts_of_sales_and_stock(server: str, browser: webdriver.Chrome) -> None:
    _sign_in(browser, server, ADMIN)
    assert _state(browser, "ready", "error", "signed-out") == "ready", browser.find_element(
        By.ID, "status"
    ).text
    sales, stock = browser.execute_script(CHARTS_JS)

    # The figures the page drew are the report routes' figures.
    today = datetime.now(UTC).date()
    with httpx.Client(base_url=server) as http:
        login = http.post("/auth/login", json={"email": ADMIN, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        period = {"from": str(today - timedelta(days=29)), "to": str(today)}
        report = http.get("/reports/sales", params=period, headers=headers).json()
        inventory = http.get("/reports/inventory", headers=headers).json()
    assert [t["currency"] for t in report["totals"]] == ["EUR"]
    assert report["totals"][0]["orders"] == len(ORDERS)
    drawn = sum(Decimal(str(value)) for value in sales["datasets"][0]["data"])
    assert drawn == Decimal(report["totals"][0]["revenue"])
    assert sales["labels"][-1] == str(today)
    assert len(sales["labels"]) == 30
    above, at_or_under = (dataset["data"] for dataset in stock["datasets"][:2])
    available = {sku: a + b for sku, a, b in zip(stock["labels"], above, at_or_under, strict=True)}
    assert available == {row["sku"]: row["available"] for row in inventory["rows"]}
    assert available["LAMP-1"] == 3
    assert at_or_under[stock["labels"].index("LAMP-1")] == 3  # drawn in the warning colour
    for chart in (sales, stock):
        assert chart["painted"] > 2000, f"{chart['id']} looks blank"

    totals = browser.find_element(By.ID, "totals").text
    assert f"EUR {report['totals'][0]['revenue']}" in totals
    low_stock = browser.find_element(By.ID, "low-stock").text
    assert "LAMP-1" in low_stock
    assert "MUG-1" not in low_stock
    assert _console_errors(browser) == []

    artifacts = Path(os.environ.get("ARTIFACTS_DIR") or REPO / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(artifacts / "dashboard.png"))


def test_another_period_redraws_and_signing_out_clears_the_page(
    server: str, browser: webdriver.Chrome
) -> None:
    _sign_in(browser, server, ADMIN)
    assert _state(browser, "ready", "error", "signed-out") == "ready"
    day_before = str(datetime.now(UTC).date() - timedelta(days=1))
    browser.execute_script(
        "document.getElementById('from').value = arguments[0];"
        "document.getElementById('to').value = arguments[0];"
        "document.body.dataset.state = 'changing';",
        day_before,
    )
    browser.find_element(By.CSS_SELECTOR, "#period button[type=submit]").click()
    assert _state(browser, "ready", "error") == "ready"
    sales, _ = browser.execute_script(CHARTS_JS)
    assert sales["labels"] == [day_before]
    assert "No sales" in browser.find_element(By.ID, "totals").text

    browser.find_element(By.ID, "logout").click()
    _state(browser, "signed-out")
    assert browser.find_element(By.ID, "login").is_displayed()
    assert not browser.find_element(By.ID, "board").is_displayed()
    assert browser.execute_script("return Object.keys(Chart.instances).length") == 0
    assert _console_errors(browser) == []


def test_a_customer_is_told_the_reports_are_for_admins(
    server: str, browser: webdriver.Chrome
) -> None:
    _sign_in(browser, server, "ana@example.com")
    WebDriverWait(browser, 20).until(
        lambda b: "not an admin" in b.find_element(By.ID, "status").text
    )
    assert not browser.find_element(By.ID, "board").is_displayed()
    assert browser.find_element(By.ID, "login").is_displayed()
    assert _console_errors(browser) == []
