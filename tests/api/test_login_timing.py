"""An unknown e-mail costs as long as a wrong password.

The hasher here is a fake whose every verification takes a fixed 50 ms (asyncio.sleep), so the
test measures what the login path does (does it verify in both cases?) rather than how busy the
machine is; real argon2 timings on a shared machine vary by a factor of three.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.security.passwords import Argon2PasswordHasher
from api.support import Api
from commerce_core.identity.auth import LoginThrottle
from entrypoints.container import Container

VERIFY_S = 0.05


class FixedCostHasher:
    """Real hashes (cheap parameters), but every verification costs exactly VERIFY_S."""

    def __init__(self) -> None:
        self._real = Argon2PasswordHasher(time_cost=1, memory_cost=64)

    async def hash(self, password: str) -> str:
        return await self._real.hash(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        await asyncio.sleep(VERIFY_S)
        return await self._real.verify(password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        await asyncio.sleep(VERIFY_S)
        await self._real.verify_dummy(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._real.needs_rehash(password_hash)


@pytest.fixture
def container(container: Container) -> Container:
    container.hasher.override(FixedCostHasher())
    container.login_throttle.override(LoginThrottle(per_account=100))
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

    wrong = min([await timed("timing@example.com") for _ in range(3)])
    unknown = min([await timed(f"ghost{i}@example.com") for i in range(3)])
    assert wrong >= VERIFY_S
    assert unknown >= VERIFY_S
    assert unknown == pytest.approx(wrong, abs=0.03)
