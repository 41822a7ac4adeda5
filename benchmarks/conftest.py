"""Fixtures for the benchmarks: an embedded shop on its own event loop (``embedded_shop``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from embedded_shop import LoopShop, loop_shop_open


@pytest.fixture
def loop_shop() -> Iterator[LoopShop]:
    # A closed shop leaves reference cycles; without this, the first full collection inside the
    # next benchmark's timed rounds frees them (about 0.3 s for a saga benchmark's shop).
    gc.collect()
    with loop_shop_open() as shop:
        yield shop
