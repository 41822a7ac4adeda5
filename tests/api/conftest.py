"""The HTTP app in process: httpx over ASGI, lifespan run, memory adapters, cheap argon2."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from api.support import Api
from entrypoints.container import Container
from entrypoints.http import create_app
from entrypoints.settings import Settings


@pytest.fixture
def settings() -> Settings:
    # A short wait keeps the 202 path quick; tok_timeout gives up on the gateway at once.
    return Settings(payment_timeout_s=0.05, checkout_wait_ms=300)


@pytest.fixture
def app(container: Container) -> Starlette:
    return create_app(container)


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[Api]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield Api(client, app)
