"""Processes sharing one database (``commerce serve`` beside the CLI, two workers): their writes
interleave without loss. On SQLite that is BEGIN IMMEDIATE and the busy timeout at work."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from shops import a_product, sql_shop, sql_url, stock_figures

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).with_name("adjust_stock.py")
SRC = Path(__file__).parents[2] / "src"
PROCESSES, EACH = 3, 40


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_concurrent_processes_lose_no_stock_movement(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sql_url(backend, tmp_path, request)
    async with sql_shop(url) as shop:
        product_id = await a_product(shop, 0)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get(
        "PYTHONPATH", "")])}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), url, product_id, str(EACH),
            stdout=asyncio.subprocess.PIPE, env=env,
        )
        for _ in range(PROCESSES)
    ]
    outputs = await asyncio.wait_for(
        asyncio.gather(*(p.communicate() for p in processes)), timeout=240
    )
    assert [p.returncode for p in processes] == [0] * PROCESSES
    assert all(out.strip() == b"DONE" for out, _ in outputs)
    async with sql_shop(url) as shop:
        assert await stock_figures(shop, product_id) == (
            PROCESSES * EACH, 0, PROCESSES * EACH)
