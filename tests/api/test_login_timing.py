"""An unknown e-mail costs as long as a wrong password (with the real argon2 parameters)."""

from __future__ import annotations

import time

import pytest

from adapters.security.passwords import Argon2PasswordHasher
from api.support import Api
from entrypoints.container import Container


@pytest.fixture
def container(container: Container) -> Container:
    container.hasher.override(Argon2PasswordHasher())  # OWASP cost, so a skipped hash would show
    return container


async def test_unknown_email_takes_as_long_as_a_wrong_password(api: Api) -> None:
    await api.customer("timing@example.com")

    async def timed(email: str) -> float:
        start = time.perf_counter()
        response = await api.http.post(
            "/auth/login", json={"email": email, "password": "wrong password"}
        )
        assert response.status_code == 401
        return time.perf_counter() - start

    wrong, unknown = [], []
    for i in range(5):
        wrong.append(await timed("timing@example.com"))
        unknown.append(await timed(f"ghost{i}@example.com"))
    median_wrong, median_unknown = sorted(wrong)[2], sorted(unknown)[2]
    assert median_unknown == pytest.approx(median_wrong, rel=0.5)
    assert median_unknown > 0.005  # it really hashed
