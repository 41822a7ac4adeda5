"""Connections: robust (they reconnect and restore their consumers after a broker restart)."""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from adapters.backends import BackendUnavailable

BACKEND = "rabbitmq"


async def connect(url: str, *, name: str = "commerce") -> AbstractRobustConnection:
    return await aio_pika.connect_robust(url, client_properties={"connection_name": name})


async def ping(connection: AbstractRobustConnection) -> None:
    if connection.is_closed or not connection.connected.is_set():
        raise BackendUnavailable(BACKEND, "rabbitmq: not connected")
