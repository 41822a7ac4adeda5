"""Fixtures for the benchmarks: an embedded shop on its own event loop (``embedded_shop``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from embedded_shop import LoopShop, loop_shop_open


@pytest.fixture
def loop_shop() -> Iterator[LoopShop]:
    with loop_shop_open() as shop:
        yield shop
