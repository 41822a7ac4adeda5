"""Fixtures shared by every test: an embedded shop on a clock the test moves."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from adapters.security.passwords import Argon2PasswordHasher
from adapters.system import ManualClock
from entrypoints.container import Container, build_container
from entrypoints.embedded import Shop, open_shop
from entrypoints.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, reason: str) -> None:
    """Skips a test whose server is unreachable, except in CI, where that is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: integration tests must run)")
    pytest.skip(reason)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings() -> Settings:
    # Short payment time-out: tok_timeout must give up quickly; expiry is driven by the clock.
    return Settings(payment_timeout_s=0.05)


@pytest.fixture
def container(settings: Settings, clock: ManualClock) -> Container:
    container = build_container(settings)
    container.clock.override(clock)
    # OWASP parameters cost ~40 ms a hash; tests use the same code with the cheapest parameters.
    container.hasher.override(Argon2PasswordHasher(time_cost=1, memory_cost=64))
    return container


@pytest.fixture
async def shop(container: Container) -> AsyncIterator[Shop]:
    async with open_shop(container=container) as shop:
        yield shop
