"""A real streaming replica of the local PostgreSQL, for the read-replica tests.

``pg_basebackup -R -X stream`` run as the postgres user into a temporary folder, then a standby
started on a free port with ``recovery_min_apply_delay``, so what the primary commits becomes
visible on the replica only that much later. ``stop`` (immediate: a crash, as far as the app can
tell) and ``remove`` are safe to call twice.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

from integration.databases import ADMIN_DSN, run_sync

# A hot standby refuses to start with less of these than its primary has.
_COPIED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class ReplicaUnavailable(Exception):
    """This machine cannot build a streaming replica; the message says why."""


def _binaries(major: int) -> Path:
    found = sorted(glob.glob(f"/usr/lib/postgresql/{major}/bin/pg_basebackup"))
    if not found:
        raise ReplicaUnavailable(f"no pg_basebackup of PostgreSQL {major} in /usr/lib/postgresql")
    return Path(found[0]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_postgres(*command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    as_postgres = os.geteuid() == pwd.getpwnam("postgres").pw_uid
    prefix = [] if as_postgres else ["runuser", "-u", "postgres", "--"]
    return subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False
    )


async def _primary_facts() -> tuple[int, dict[str, str]]:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        rows = await conn.fetch(
            "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
            list(_COPIED_SETTINGS),
        )
        return major, {row["name"]: row["setting"] for row in rows}
    finally:
        await conn.close()


class StreamingReplica:
    def __init__(self, apply_delay_s: float) -> None:
        self.apply_delay_s = apply_delay_s
        self.folder = Path(tempfile.mkdtemp(prefix="commerce_replica_"))
        self.data = self.folder / "data"
        self.port = _free_port()
        # A slot keeps the primary's WAL until the standby has it (a busy primary may recycle
        # a segment between the end of the backup and the start of streaming otherwise).
        self.slot = f"commerce_test_replica_{secrets.token_hex(4)}"
        self._slot_created = False
        self._bin: Path | None = None
        self.running = False

    def start(self) -> None:
        try:
            postgres = pwd.getpwnam("postgres")
        except KeyError:
            raise ReplicaUnavailable("there is no postgres user to run the replica") from None
        if os.geteuid() not in (0, postgres.pw_uid):
            raise ReplicaUnavailable("the replica must run as postgres: run the tests as root")
        major, settings = run_sync(_primary_facts)
        self._bin = _binaries(major)
        os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        self.folder.chmod(0o700)
        self._base_backup()
        lines = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.folder}'",
            "hot_standby = on",
            f"recovery_min_apply_delay = '{int(self.apply_delay_s * 1000)}ms'",
            "fsync = off",
            *(f"{name} = {value}" for name, value in settings.items()),
        ]
        # Debian keeps its configuration outside the data folder: the standby gets its own.
        self._write("postgresql.conf", "\n".join(lines) + "\n")
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        started = _as_postgres(
            str(self._bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if started.returncode != 0:
            raise RuntimeError(f"the replica did not start: {started.stderr.strip()}\n{self.log()}")
        self.running = True

    def _base_backup(self, attempts: int = 3) -> None:
        assert self._bin is not None
        for attempt in range(1, attempts + 1):
            self._drop_slot_now()  # what a failed attempt left
            shutil.rmtree(self.data, ignore_errors=True)
            self._slot_created = True  # -C makes it first: remove() drops it whatever happens
            backup = _as_postgres(
                str(self._bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", "5432",
                "-U", "postgres", "-D", str(self.data), "-C", "-S", self.slot, "-R",
                "-X", "stream", "-c", "fast",
            )  # fmt: skip
            if backup.returncode == 0:
                return
            error = backup.stderr.strip()
            if "pg_hba.conf" in error:
                raise ReplicaUnavailable(
                    "replication connections from 127.0.0.1 must be allowed in pg_hba.conf "
                    f"(.ci/run adds the line): {error}"
                )
            if attempt == attempts:  # another test terminated our connection, say
                raise RuntimeError(f"pg_basebackup failed {attempts} times: {error}")

    def _write(self, name: str, text: str) -> None:
        path = self.data / name
        path.write_text(text)
        postgres = pwd.getpwnam("postgres")
        os.chown(path, postgres.pw_uid, postgres.pw_gid)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.folder / "log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """``pg_ctl stop -m immediate``: the server goes away as in a crash."""
        if not self.running or self._bin is None:
            return
        _as_postgres(
            str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", timeout=60
        )
        self.running = False

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._drop_slot_now()

    def _drop_slot_now(self) -> None:
        if self._slot_created:
            run_sync(self._drop_slot)
            self._slot_created = False

    async def _drop_slot(self) -> None:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=3)
        try:
            deadline = time.monotonic() + 30
            while True:  # the walsender of a standby stopped just now may not have exited yet
                try:
                    await conn.execute(
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        " WHERE slot_name = $1",
                        self.slot,
                    )
                    return
                except asyncpg.ObjectInUseError:
                    if time.monotonic() > deadline:
                        raise
                    await _pause()
        finally:
            await conn.close()

    async def wait_for_database(self, name: str, deadline_s: float = 60) -> None:
        """Until the replica has replayed the CREATE DATABASE (after its apply delay)."""
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                conn = await asyncpg.connect(self.dsn(name), timeout=3)
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"database {name} never reached the replica: {error}\n{self.log()}"
                    ) from error
                await _pause()
            else:
                await conn.close()
                return


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.05)
