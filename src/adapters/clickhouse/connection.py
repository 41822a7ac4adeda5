"""One ClickHouse server over the native protocol, for asyncio code.

``clickhouse-driver`` is synchronous and one ``Client`` runs one query at a time, so queries run
on a small dedicated thread pool where each thread keeps its own client, connected on its first
query and reused after that: no connection is set up per request, and the event loop never waits
on a socket.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from clickhouse_driver import Client

DEFAULT_THREADS = 4


def check_url(url: str) -> str:
    """``clickhouse://host:9000/database`` (``clickhouses://`` for TLS); raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in {"clickhouse", "clickhouses"} or not parts.hostname:
        raise ValueError(
            f"COMMERCE_CLICKHOUSE_URL must look like clickhouse://host:9000/default, not {url!r}"
        )
    return url


def database_of(url: str) -> str:
    return urlsplit(url).path.strip("/") or "default"


class ClickHouse:
    def __init__(self, url: str, *, threads: int = DEFAULT_THREADS) -> None:
        self.url = check_url(url)
        self.database = database_of(url)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="clickhouse")
        self._local = threading.local()
        self._clients: list[Client] = []
        self._lock = threading.Lock()

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = Client.from_url(self.url)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _execute(
        self,
        query: str,
        params: Any = None,
        columnar: bool = False,
        settings: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._client().execute(
            query, params, columnar=columnar, settings=dict(settings or {})
        )

    async def execute(
        self, query: str, params: Any = None, *, settings: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Runs a statement or a query; rows as tuples."""
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(
            self._executor, self._execute, query, params, False, settings
        )
        return list(rows) if rows is not None else []

    async def insert_columns(self, table: str, columns: Mapping[str, Sequence[Any]]) -> int:
        """One bulk INSERT of whole columns (the driver sends them as native blocks)."""
        names = list(columns)
        if not names or not len(columns[names[0]]):
            return 0
        query = f"INSERT INTO {table} ({', '.join(names)}) VALUES"
        data = [columns[name] for name in names]
        loop = asyncio.get_running_loop()
        inserted = await loop.run_in_executor(
            self._executor, self._execute, query, data, True, None
        )
        return int(inserted or 0)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.disconnect()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)
