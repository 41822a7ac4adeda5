"""A newcomer's first hour, against ``commerce serve`` as a real process on a SQLite file.

Admin and catalog come from the CLI; everything else goes over HTTP: register, log in, browse and
search, fill a cart, check out (approved, then declined), cancel, refresh, log out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.serving import commerce, serving

PASSWORD = "correct horse battery"
CATALOG = """sku,name,description,category,price,currency,stock
MUG-1,Blue mug,A mug for tea,kitchen,8.50,USD,10
MUG-2,Red mug,A mug for coffee,kitchen,9.50,USD,3
HAM-1,Hammer,Drives nails,tools,25.00,USD,5
BAD-1,Broken,,kitchen,not-a-price,USD,1
"""


@pytest.fixture
def shop_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_")}
    env["COMMERCE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    return env


@pytest.fixture
def server(shop_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    admin = commerce("users", "create-admin", "--email", "boss@example.com",
                      "--password", PASSWORD, "--name", "Boss", env=shop_env)
    assert admin.returncode == 0, admin.stderr
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG)
    imported = commerce("products", "import", str(catalog), env=shop_env)
    assert imported.returncode == 1  # one bad row...
    assert "line 5:" in imported.stderr  # ...reported by its line
    assert "imported 3 of 4 rows" in imported.stderr
    with serving(shop_env) as base:
        yield base


def test_a_newcomer_registers_shops_and_pays(server: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/ready").status_code == 200
        secret = tmp_path / "shop.db.jwt-secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600

        registered = http.post("/auth/register", json={
            "email": "newcomer@example.com", "password": PASSWORD, "name": "Nia"})
        assert registered.status_code == 201, registered.text
        login = http.post("/auth/login",
                          json={"email": "newcomer@example.com", "password": PASSWORD})
        assert login.status_code == 200
        session = login.json()
        me = {"Authorization": f"Bearer {session['access_token']}"}

        everything = http.get("/products").json()
        assert everything["total"] == 3
        mugs = http.get("/products", params={"q": "mug", "sort": "price"}).json()
        assert [p["sku"] for p in mugs["items"]] == ["MUG-1", "MUG-2"]
        mug, red_mug = mugs["items"]
        assert http.get(f"/products/{mug['id']}").json()["price"] == "8.50"

        added = http.post("/cart/items", headers=me,
                          json={"product_id": mug["id"], "quantity": 2})
        assert added.json()["total"] == "17.00"
        paid = http.post("/orders/checkout", headers=me,
                         json={"payment_method": {"type": "card", "token": "tok_visa"}})
        assert paid.status_code == 201, paid.text
        order = paid.json()
        assert order["status"] == "CONFIRMED"
        assert http.get(f"/products/{mug['id']}").json()["stock_available"] == 8

        http.post("/cart/items", headers=me, json={"product_id": red_mug["id"], "quantity": 3})
        declined = http.post("/orders/checkout", headers=me, json={
            "payment_method": {"type": "card", "token": "tok_chargeDeclined"}})
        assert declined.status_code == 402, declined.text
        assert declined.headers["content-type"] == "application/problem+json"
        refused = http.get(f"/orders/{declined.json()['order_id']}", headers=me).json()
        assert (refused["status"], refused["cancel_reason"]) == ("CANCELLED", "payment_declined")
        assert http.get(f"/products/{red_mug['id']}").json()["stock_available"] == 3

        cancelled = http.post(f"/orders/{order['id']}/cancel", headers=me)
        assert cancelled.json()["status"] == "CANCELLED"
        assert http.get(f"/products/{mug['id']}").json()["stock_available"] == 10
        mine = http.get("/orders", headers=me).json()
        assert {o["id"] for o in mine["items"]} == {order["id"], refused["id"]}

        boss = http.post("/auth/login",
                         json={"email": "boss@example.com", "password": PASSWORD}).json()
        stock = http.get(f"/admin/inventory/{mug['id']}",
                         headers={"Authorization": f"Bearer {boss['access_token']}"})
        assert stock.json()["on_hand"] == 10
        assert http.get(f"/admin/inventory/{mug['id']}", headers=me).status_code == 403

        refreshed = http.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
        assert refreshed.status_code == 200
        fresh = refreshed.json()
        out = http.post("/auth/logout", json={"refresh_token": fresh["refresh_token"]})
        assert out.status_code == 204
        again = http.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
        assert again.status_code == 401
