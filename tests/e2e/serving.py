"""``commerce`` as a real process for end-to-end tests: a CLI command, or ``commerce serve`` on a
free loopback port, stopped at the end of the block even when the test fails."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def commerce(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def serving(env: dict[str, str], *, timeout_s: float = 30) -> Iterator[str]:
    """``commerce serve`` with ``env``; yields its base URL once /health answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port)]
    with answering(command, port, env=env, timeout_s=timeout_s):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def answering(
    command: list[str], port: int, *, env: dict[str, str], timeout_s: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``command``, a server on ``port``; yields its process once /health answers 200, and
    stops it at the end of the block. Its output goes to a file, not a pipe: a server that
    logs a lot would block on a pipe nobody reads; the test's failure message shows it."""
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    said = output.read().decode(errors="replace")
                    pytest.fail(f"{' '.join(command[:4])} did not come up:\n{said}")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
