"""The read router: which PostgreSQL server answers a read.

Every write, and every read of an operation that did not declare itself replica-tolerant, goes
to the primary. A tolerant read goes to a streaming replica that is up, no further behind than
``max_lag_s``, and has replayed past what the caller must see: the consistency token it
presented, or its own last write (``StickyWrites``). When no replica qualifies, the primary
answers; a replica that fails mid-read is marked down and the read runs again on the primary.

A background loop asks each replica for ``pg_last_wal_replay_lsn()`` every ``poll_s`` and the
primary for ``pg_current_wal_lsn()``, over one long-lived connection each, so routing a read
costs no query. The cached replay position only ever understates the real one, so a replica
chosen for a token really has replayed past it.

Lag is measured against the primary's positions as this router saw them: a replica is as far
behind as the oldest primary position it has not replayed yet is old (an idle primary means no
lag, whatever the replica's replay timestamp says).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from adapters.sqlalchemy.consistency import (
    PRIMARY_ONLY,
    StickyWrites,
    current_scope,
    format_lsn,
    parse_lsn,
)
from adapters.sqlalchemy.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
ReadObserver = Callable[[str, str], None]  # (target, reason)

POLL_INTERVAL_S = 0.05
PROBE_TIMEOUT_S = 1.0
CONNECT_TIMEOUT_S = 2.0
RECONNECT_AFTER_S = 1.0
REPLICA_POOL_TIMEOUT_S = 5.0

OK, LAGGING, DOWN, STARTING = "ok", "lagging", "down", "starting"


def is_database_failure(error: BaseException) -> bool:
    """Errors a read can get from a server that is away, restarting or cancelling it."""
    if isinstance(error, sa.exc.DBAPIError | sa.exc.TimeoutError | OSError | TimeoutError):
        return True
    # The fast path's raw driver calls raise the driver's errors, or SQLAlchemy's adapted ones.
    return type(error).__module__.startswith(("asyncpg", "sqlalchemy.dialects"))


def _dsn(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@frozen
class ReplicaStatus:
    name: str
    state: str
    replay_lsn: str | None
    lag_s: float | None
    error: str | None


class Replica:
    def __init__(self, url: str, *, pool_size: int) -> None:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"a read replica must be PostgreSQL, not {parsed.get_backend_name()}")
        if parsed.get_driver_name() != "asyncpg":
            parsed = parsed.set(drivername="postgresql+asyncpg")
        self.url = parsed
        self.name = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
        self.engine: AsyncEngine = create_async_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=REPLICA_POOL_TIMEOUT_S,
            connect_args={"timeout": CONNECT_TIMEOUT_S},
        )
        self.state = STARTING
        self.replay_lsn = 0
        self.lag_s: float | None = None
        self.error: str | None = None
        self.probe: Any = None  # an asyncpg connection, opened by the router's loop
        self.reconnect_at = 0.0
        self.failures = 0  # reads that failed on it: a probe begun before one does not count

    def status(self) -> ReplicaStatus:
        known = self.state in (OK, LAGGING)
        return ReplicaStatus(
            self.name,
            self.state,
            format_lsn(self.replay_lsn) if known else None,
            round(self.lag_s, 3) if known and self.lag_s is not None else None,
            self.error,
        )

    def down(self, error: BaseException | str) -> None:
        if self.state != DOWN:
            log.warning("read replica %s is down: %s", self.name, error)
        self.state = DOWN
        self.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"


class ReadRouter:
    def __init__(
        self,
        primary: Database,
        replica_urls: Sequence[str],
        *,
        sticky: StickyWrites,
        max_lag_s: float,
        poll_s: float = POLL_INTERVAL_S,
        pool_size: int = 10,
    ) -> None:
        self._primary = primary
        self.replicas = [Replica(url, pool_size=pool_size) for url in replica_urls]
        self._sticky = sticky
        self.max_lag_s = max_lag_s
        self._poll_s = poll_s
        self._turn = itertools.count()
        self._observers: list[ReadObserver] = []
        self._samples: deque[tuple[float, int]] = deque()  # (monotonic time, primary position)
        self._primary_probe: Any = None
        self._loop: asyncio.Task[None] | None = None
        self.primary_lsn = 0

    # -- lifetime -------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.poll()  # the first answer (or failure) is known before the first request
        self._loop = asyncio.create_task(self._poll_forever(), name="read-replica-poll")

    async def close(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for conn in [self._primary_probe, *(r.probe for r in self.replicas)]:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close(timeout=1)
        for replica in self.replicas:
            await replica.engine.dispose()

    def observe(self, observer: ReadObserver) -> Callable[[], None]:
        """Calls ``observer(target, reason)`` for every routed read; returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def statuses(self) -> list[ReplicaStatus]:
        return [replica.status() for replica in self.replicas]

    # -- routing --------------------------------------------------------------------------------

    async def route(self) -> Replica | None:
        """The replica for a read in the current scope, or None for the primary."""
        scope = current_scope()
        if scope is None or not scope.replica_ok or not self.replicas:
            return None
        if scope.sticky_lsn is None:
            scope.sticky_lsn = await self._sticky_lsn(scope.user_id)
        needed = max(scope.token_lsn, scope.sticky_lsn)
        serving = [r for r in self.replicas if r.state == OK]
        fresh = [r for r in serving if r.replay_lsn >= needed]
        if not fresh:
            self._count("primary", "behind" if serving else "unavailable")
            return None
        replica = fresh[next(self._turn) % len(fresh)]
        if replica.replay_lsn < self.primary_lsn:
            scope.served_behind = True
        self._count("replica", "replica")
        return replica

    async def failed(self, replica: Replica, error: BaseException) -> None:
        """A read on ``replica`` failed: it serves nothing until the loop, on a new connection
        opened a moment later, finds it well; its pooled connections are dropped (a server that
        went away took them all along)."""
        self._count("primary", "fallback")
        replica.failures += 1
        if replica.state == DOWN:
            return
        replica.down(error)
        replica.reconnect_at = time.monotonic() + RECONNECT_AFTER_S
        probe, replica.probe = replica.probe, None
        await _discard(probe)
        await replica.engine.dispose()

    async def run_read(self, read: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Runs ``read`` on a connection of the routed server (the search adapter's queries)."""
        replica = await self.route()
        if replica is not None:
            try:
                async with replica.engine.connect() as conn:
                    return await read(conn)
            except Exception as error:
                if not is_database_failure(error):
                    raise
                await self.failed(replica, error)
        async with self._primary.engine.connect() as conn:
            return await read(conn)

    async def note_commit(self, conn: AsyncConnection) -> None:
        """After a commit on the primary, inside a request: the position its token will carry,
        asked on the connection that committed (no checkout, one short round trip)."""
        scope = current_scope()
        if scope is None:
            return
        try:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            text = await _shielded(driver.fetchval("SELECT pg_current_wal_lsn()::text"))
        except Exception as error:  # the commit stands; the caller's reads go to the primary
            log.warning("no WAL position after a commit: %s", error)
            return
        lsn = parse_lsn(text)
        if lsn is not None:
            scope.committed_at(lsn)
            self.primary_lsn = max(self.primary_lsn, lsn)

    # -- the loop -------------------------------------------------------------------------------

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self.poll()
            except Exception:  # never let the loop die: the next round tries again
                log.exception("read replica poll failed")

    async def poll(self) -> None:
        await self._sample_primary()
        await asyncio.gather(*(self._probe(replica) for replica in self.replicas))

    async def _sample_primary(self) -> None:
        now = time.monotonic()
        try:
            if self._primary_probe is None or self._primary_probe.is_closed():
                self._primary_probe = await _connect(self._primary.url)
            text = await self._primary_probe.fetchval(
                "SELECT pg_current_wal_lsn()::text", timeout=PROBE_TIMEOUT_S
            )
        except Exception as error:
            log.debug("primary position unknown: %s", error)
            await _discard(self._primary_probe)
            self._primary_probe = None
            return
        lsn = parse_lsn(text) or 0
        self.primary_lsn = max(self.primary_lsn, lsn)
        if not self._samples or self._samples[-1][1] < lsn:
            self._samples.append((now, lsn))
        # Keep the newest sample older than the window: a replica that has not replayed it is
        # at least that far behind.
        horizon = now - 2 * self.max_lag_s
        while len(self._samples) > 1 and self._samples[1][0] < horizon:
            self._samples.popleft()

    async def _probe(self, replica: Replica) -> None:
        now = time.monotonic()
        if replica.probe is None and now < replica.reconnect_at:
            return
        failures = replica.failures
        try:
            if replica.probe is None or replica.probe.is_closed():
                replica.probe = await _connect(replica.url)
            row = await replica.probe.fetchrow(
                "SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay",
                timeout=PROBE_TIMEOUT_S,
            )
        except Exception as error:
            await _discard(replica.probe)
            replica.probe = None
            replica.reconnect_at = now + RECONNECT_AFTER_S
            replica.down(error)
            return
        if replica.failures != failures:
            return  # a read failed on it meanwhile: this answer may predate the failure
        replay = parse_lsn(row["replay"])
        if not row["standby"] or replay is None:
            replica.down("not a streaming standby (promoted, or not replaying)")
            return
        replica.replay_lsn = replay
        replica.lag_s = self._lag(replay, now)
        replica.error = None
        state = OK if replica.lag_s <= self.max_lag_s else LAGGING
        if state != replica.state:
            log.info("read replica %s is %s (lag %.3f s)", replica.name, state, replica.lag_s)
        replica.state = state

    def _lag(self, replay: int, now: float) -> float:
        for at, lsn in self._samples:  # oldest first
            if lsn > replay:
                return now - at
        return 0.0

    async def _sticky_lsn(self, user_id: str | None) -> int:
        if user_id is None:
            return 0
        try:
            return await self._sticky.required(user_id)
        except Exception as error:  # not knowing their last write: read the primary
            log.warning("sticky writes unavailable: %s", error)
            return PRIMARY_ONLY

    def _count(self, target: str, reason: str) -> None:
        for observer in self._observers:
            observer(target, reason)


async def _connect(url: sa.URL) -> Any:
    import asyncpg  # the postgres extra; replicas are PostgreSQL only

    return await asyncpg.connect(_dsn(url), timeout=CONNECT_TIMEOUT_S)


async def _discard(conn: Any) -> None:
    if conn is not None:
        conn.terminate()


async def _shielded(step: Awaitable[T]) -> T:
    """Finishes a statement even when the caller is cancelled meanwhile (a cancelled statement
    would hand the connection back to the pool mid-protocol), then lets the cancellation on."""
    task = asyncio.ensure_future(step)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return task.result()
