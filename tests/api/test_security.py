"""Access tokens are refused unless ours, valid and complete; roles and ownership hold."""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import timedelta
from typing import Any

import jwt
import pytest

from adapters.system import ManualClock
from api.support import Api, assert_problem
from entrypoints.http.app import OPERATIONS
from entrypoints.http.routing import ADMIN


def _claims(clock: ManualClock, user_id: str, **changes: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    claims = {
        "iss": "commerce-core", "aud": "commerce-api", "sub": user_id, "role": "admin",
        "jti": secrets.token_hex(8), "iat": now, "nbf": now, "exp": now + 900,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _secret(api: Api) -> str:
    return str(api.app.state.container.jwt_secret())


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


FORGERIES = {
    "alg none": lambda api, c: _unsigned(c),
    "alg none, signature kept": lambda api, c: _unsigned(c) + "c2ln",
    "another key": lambda api, c: jwt.encode(c, "x" * 48, algorithm="HS256"),
    "HS512 with our key": lambda api, c: jwt.encode(c, _secret(api), algorithm="HS512"),
    "garbage": lambda api, c: "not.a.token",
}


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_tokens_are_refused(api: Api, clock: ManualClock, forgery: str) -> None:
    customer = await api.customer()
    token = FORGERIES[forgery](api, _claims(clock, customer["user"]["id"]))
    response = await api.http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"exp": 1},  # long expired
        {"nbf": 4102444800},  # valid from 2100
        {"role": "superuser"},
        *({claim: None} for claim in ("exp", "iat", "nbf", "iss", "aud", "sub", "jti", "role")),
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
async def test_tokens_with_bad_or_missing_claims_are_refused(
    api: Api, clock: ManualClock, changes: dict[str, Any]
) -> None:
    customer = await api.customer()
    token = jwt.encode(_claims(clock, customer["user"]["id"], **changes), _secret(api),
                       algorithm="HS256")
    response = await api.http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


async def test_a_well_made_token_of_ours_is_accepted(api: Api, clock: ManualClock) -> None:
    customer = await api.customer()
    token = jwt.encode(_claims(clock, customer["user"]["id"], role="customer"), _secret(api),
                       algorithm="HS256")
    response = await api.http.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_an_access_token_expires_after_15_minutes(api: Api, clock: ManualClock) -> None:
    customer = await api.customer()
    assert (await api.http.get("/auth/me", headers=customer["headers"])).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=6))  # past the 5 s leeway
    assert_problem(await api.http.get("/auth/me", headers=customer["headers"]), 401)


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
async def test_a_missing_or_odd_authorization_header_is_a_401(api: Api, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = await api.http.get("/cart", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


ADMIN_ROUTES = [op for op in OPERATIONS if op.roles == ADMIN]


@pytest.mark.parametrize("operation", ADMIN_ROUTES, ids=lambda op: f"{op.method} {op.path}")
async def test_a_customer_gets_403_on_admin_routes(api: Api, operation: Any) -> None:
    customer = await api.customer()
    path = re.sub(r"{\w+}", "x1", operation.path)  # any id: the route must refuse first
    response = await api.http.request(operation.method, path, headers=customer["headers"],
                                      json={})
    assert_problem(response, 403)


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op.roles],
                         ids=lambda op: f"{op.method} {op.path}")
async def test_every_protected_route_wants_a_token(api: Api, operation: Any) -> None:
    path = re.sub(r"{\w+}", "x1", operation.path)  # any id: the route must refuse first
    assert_problem(await api.http.request(operation.method, path, json={}), 401)


async def test_customers_see_only_their_own_cart(api: Api) -> None:
    admin = await api.admin()
    ana, bob = await api.customer(), await api.customer()
    product = await api.product(admin)
    await api.in_cart(ana, product["id"], 2)
    bobs_cart = (await api.http.get("/cart", headers=bob["headers"])).json()
    assert bobs_cart["items"] == []
    # Bob's changes touch his own (empty) cart only.
    response = await api.http.put(f"/cart/items/{product['id']}", json={"quantity": 5},
                                  headers=bob["headers"])
    assert_problem(response, 404)
    await api.http.delete("/cart", headers=bob["headers"])
    anas_cart = (await api.http.get("/cart", headers=ana["headers"])).json()
    assert anas_cart["items"][0]["quantity"] == 2


async def test_another_customers_order_does_not_exist_for_you(api: Api) -> None:
    admin = await api.admin()
    ana, bob = await api.customer(), await api.customer()
    product = await api.product(admin)
    await api.in_cart(ana, product["id"])
    order = (await api.checkout(ana)).json()
    assert_problem(await api.http.get(f"/orders/{order['id']}", headers=bob["headers"]), 404)
    cancel = await api.http.post(f"/orders/{order['id']}/cancel", headers=bob["headers"])
    assert_problem(cancel, 404)
    assert (await api.http.get("/orders", headers=bob["headers"])).json()["items"] == []
    mine = await api.http.get(f"/orders/{order['id']}", headers=ana["headers"])
    assert mine.json()["status"] == "CONFIRMED"
