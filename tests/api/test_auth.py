"""Register, log in, refresh, log out, who am I."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.system import ManualClock
from api.support import PASSWORD, Api, assert_problem


async def test_register_signs_the_new_customer_in(api: Api) -> None:
    response = await api.http.post(
        "/auth/register",
        json={"email": "Ana@Example.com", "password": PASSWORD, "name": "Ana"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ana@example.com"
    assert body["user"]["role"] == "customer"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    me = await api.http.get(
        "/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json() == body["user"]


async def test_an_email_registers_once(api: Api) -> None:
    await api.customer("bob@example.com")
    response = await api.http.post(
        "/auth/register", json={"email": "bob@example.com", "password": PASSWORD, "name": "B"}
    )
    assert assert_problem(response, 409)["type"].endswith("email_taken")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": "short", "name": "A"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD, "name": "A"}, "email"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "   "}, "name"),
        ({"email": "a@example.com", "password": PASSWORD}, "name"),
        ({"email": "a@example.com", "password": 12345678, "name": "A"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "A", "role": "admin"}, "role"),
    ],
)
async def test_register_names_the_invalid_field(api: Api, body: dict, field: str) -> None:
    problem = assert_problem(await api.http.post("/auth/register", json=body), 422)
    assert field in [error["field"] for error in problem["errors"]]


async def test_a_body_that_is_not_json_is_a_400(api: Api) -> None:
    response = await api.http.post("/auth/register", content=b"{email: nope")
    assert_problem(response, 400)


async def test_a_json_body_that_is_not_an_object_is_a_422(api: Api) -> None:
    assert_problem(await api.http.post("/auth/login", json=["a", "b"]), 422)


async def test_login_gives_a_token_pair(api: Api) -> None:
    await api.customer("cleo@example.com")
    response = await api.http.post(
        "/auth/login", json={"email": "cleo@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "cleo@example.com"


async def test_unknown_email_and_wrong_password_get_the_same_answer(api: Api) -> None:
    await api.customer("dan@example.com")
    wrong = await api.http.post(
        "/auth/login", json={"email": "dan@example.com", "password": "not his password"}
    )
    unknown = await api.http.post(
        "/auth/login", json={"email": "nobody@example.com", "password": "not his password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]


async def test_the_sixth_failed_login_in_the_window_gets_429(
    api: Api, clock: ManualClock
) -> None:
    await api.customer("eve@example.com")
    bad = {"email": "eve@example.com", "password": "guess guess"}
    for _ in range(5):
        assert (await api.http.post("/auth/login", json=bad)).status_code == 401
    refused = await api.http.post("/auth/login", json=bad)
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
    # Even the right password waits for the window to pass.
    good = {"email": "eve@example.com", "password": PASSWORD}
    assert (await api.http.post("/auth/login", json=good)).status_code == 429
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (await api.http.post("/auth/login", json=good)).status_code == 200


async def test_a_successful_login_clears_the_account_count(api: Api) -> None:
    await api.customer("fay@example.com")
    bad = {"email": "fay@example.com", "password": "guess guess"}
    good = {"email": "fay@example.com", "password": PASSWORD}
    for _ in range(4):
        await api.http.post("/auth/login", json=bad)
    assert (await api.http.post("/auth/login", json=good)).status_code == 200
    for _ in range(5):
        assert (await api.http.post("/auth/login", json=bad)).status_code == 401


async def test_one_client_guessing_many_accounts_is_throttled(api: Api) -> None:
    # The limit per client address (100 in the window) holds across e-mails.
    statuses = [
        (await api.http.post(
            "/auth/login", json={"email": f"u{i}@example.com", "password": "guess guess"}
        )).status_code
        for i in range(101)
    ]
    assert statuses[:100] == [401] * 100
    assert statuses[100] == 429


async def test_refresh_rotates_the_pair(api: Api) -> None:
    session = await api.customer()
    response = await api.http.post(
        "/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh_token"] != session["refresh_token"]
    assert fresh["user"] == session["user"]
    again = await api.http.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert again.status_code == 200


async def test_a_spent_refresh_token_presented_again_revokes_its_family(api: Api) -> None:
    session = await api.customer()
    stolen = session["refresh_token"]
    rotated = (await api.http.post("/auth/refresh", json={"refresh_token": stolen})).json()
    replay = await api.http.post("/auth/refresh", json={"refresh_token": stolen})
    assert_problem(replay, 401)
    # The legitimate holder's newer token died with the family.
    after = await api.http.post(
        "/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert_problem(after, 401)


async def test_other_sessions_survive_a_family_revocation(api: Api) -> None:
    session = await api.customer("gil@example.com")
    other = (await api.http.post(
        "/auth/login", json={"email": "gil@example.com", "password": PASSWORD}
    )).json()
    await api.http.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    await api.http.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    response = await api.http.post(
        "/auth/refresh", json={"refresh_token": other["refresh_token"]}
    )
    assert response.status_code == 200


async def test_an_unknown_refresh_token_is_a_401(api: Api) -> None:
    assert_problem(await api.http.post("/auth/refresh", json={"refresh_token": "nope"}), 401)


async def test_an_expired_refresh_token_is_a_401(api: Api, clock: ManualClock) -> None:
    session = await api.customer()
    clock.advance(timedelta(days=31))
    response = await api.http.post(
        "/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert_problem(response, 401)


async def test_logout_ends_the_session(api: Api) -> None:
    session = await api.customer()
    response = await api.http.post(
        "/auth/logout", json={"refresh_token": session["refresh_token"]}
    )
    assert response.status_code == 204
    after = await api.http.post(
        "/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert_problem(after, 401)


async def test_logout_of_an_unknown_token_is_quiet(api: Api) -> None:
    response = await api.http.post("/auth/logout", json={"refresh_token": "never issued"})
    assert response.status_code == 204


async def test_me_needs_a_token(api: Api) -> None:
    assert_problem(await api.http.get("/auth/me"), 401)
