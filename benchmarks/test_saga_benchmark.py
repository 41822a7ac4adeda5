"""Throughput of the checkout saga in the embedded (in-memory) mode.

One saga is what a customer triggers with "add to cart" and "checkout": the order, the
reservation, the charge, the confirmation, the committed stock and the confirmation notice, all
in process before ``handle`` returns. Users and products are created outside the timed part.

``test_checkout_saga_throughput`` times the whole saga (add to cart and checkout);
``test_checkout_only_saga_throughput`` times checkout to CONFIRMED with its notice, the carts
filled before each round outside the timed part (one customer a saga: checkout empties a cart).

    python -m pytest benchmarks --benchmark-only

Set COMMERCE_BENCH_MIN_SAGAS_PER_S to make a run fail below a throughput (off by default: the
figure depends on the machine).
"""

from __future__ import annotations

import gc
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from commerce_core.ordering.model import OrderStatus
from embedded_shop import CheckoutRun, LoopShop, SagaRun

SAGAS_PER_ROUND = 500
ROUNDS = 20
WARMUP_ROUNDS = 2


def test_checkout_saga_throughput(benchmark: Any, loop_shop: LoopShop) -> None:
    total_sagas = SAGAS_PER_ROUND * (ROUNDS + WARMUP_ROUNDS)
    run = SagaRun(loop_shop, capacity=total_sagas)

    clock = RoundClock(loop_shop.timed(lambda: run.sagas(SAGAS_PER_ROUND)))
    benchmark.pedantic(clock, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP_ROUNDS)

    _assert_all_confirmed(loop_shop, clock.sagas_run)
    _report(benchmark, "checkout saga", clock)


def test_checkout_only_saga_throughput(benchmark: Any, loop_shop: LoopShop) -> None:
    total_sagas = SAGAS_PER_ROUND * (ROUNDS + WARMUP_ROUNDS)
    run = CheckoutRun(loop_shop, capacity=total_sagas, customers=SAGAS_PER_ROUND)

    fill_carts = loop_shop.timed(lambda: run.fill_carts(SAGAS_PER_ROUND))
    clock = RoundClock(loop_shop.timed(lambda: run.checkouts(SAGAS_PER_ROUND)))
    # setup runs, untimed, before every round (warm-up rounds too).
    benchmark.pedantic(
        clock, setup=fill_carts, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP_ROUNDS
    )

    _assert_all_confirmed(loop_shop, clock.sagas_run)
    _report(benchmark, "checkout only (carts filled untimed)", clock)


class RoundClock:
    """Runs one round per call and keeps its CPU time (this process only: steadier than wall
    time on a busy machine) and the time the cyclic garbage collector took within it."""

    def __init__(self, run_round: Callable[[], object]) -> None:
        self._run_round = run_round
        self.cpu_seconds: list[float] = []
        self.gc_seconds: list[float] = []
        self._gc_started = 0.0
        self._in_gc = 0.0

    def __call__(self) -> None:
        self._in_gc = 0.0
        gc.callbacks.append(self._on_gc)
        started = time.process_time()
        try:
            self._run_round()
        finally:
            self.cpu_seconds.append(time.process_time() - started)
            gc.callbacks.remove(self._on_gc)
        self.gc_seconds.append(self._in_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        else:
            self._in_gc += time.process_time() - self._gc_started

    @property
    def sagas_run(self) -> int:
        """All the rounds' sagas, warm-up included (--benchmark-disable runs just one round)."""
        return SAGAS_PER_ROUND * len(self.cpu_seconds)

    def timed(self, warmup_rounds: int) -> tuple[float, float]:
        """CPU seconds of the rounds after the warm-up, and the collector's share of them."""
        cpu = sum(self.cpu_seconds[warmup_rounds:])
        return cpu, sum(self.gc_seconds[warmup_rounds:]) / cpu


def interpreter() -> str:
    """What runs the benchmark: the figures move by a sixth between builds of one version (a
    ``python`` linked to a shared libpython, pyenv's default, is the slower)."""
    linked = "shared libpython" if _libpython_mapped() else "libpython linked in"
    return f"{platform.python_implementation()} {platform.python_version()} ({linked})"


def _libpython_mapped() -> bool:
    try:
        with open("/proc/self/maps") as maps:
            return any("libpython" in line for line in maps)
    except OSError:  # not Linux: unknown, and reported as linked in
        return False


def _assert_all_confirmed(loop_shop: LoopShop, total_sagas: int) -> None:
    store = loop_shop.container.memory_store()
    statuses = Counter(order.status for order in store.orders.values())
    assert statuses == {OrderStatus.CONFIRMED: total_sagas}
    sent = Counter(m.subject.split()[0] for m in loop_shop.container.notifier().sent)
    assert sent["Order"] == total_sagas  # one confirmation per saga
    assert loop_shop.container.gateway().charged_twice() == []


def _report(benchmark: Any, label: str, clock: RoundClock) -> None:
    if benchmark.stats is None:
        return  # --benchmark-disable: one round ran, as a test; nothing was timed
    per_second = SAGAS_PER_ROUND / benchmark.stats.stats.mean
    best = SAGAS_PER_ROUND / benchmark.stats.stats.min
    cpu, gc_share = clock.timed(WARMUP_ROUNDS)
    per_cpu_second = SAGAS_PER_ROUND * ROUNDS / cpu
    benchmark.extra_info["sagas_per_round"] = SAGAS_PER_ROUND
    benchmark.extra_info["sagas_per_second_mean"] = round(per_second)
    benchmark.extra_info["sagas_per_second_best"] = round(best)
    benchmark.extra_info["sagas_per_cpu_second"] = round(per_cpu_second)
    benchmark.extra_info["garbage_collector_share"] = round(gc_share, 3)
    benchmark.extra_info["interpreter"] = interpreter()
    print(
        f"\n{label}: {per_second:,.0f} sagas/s (mean), {best:,.0f} sagas/s (best round), "
        f"{per_cpu_second:,.0f} sagas per CPU second, {gc_share:.0%} of it in the garbage "
        f"collector; {interpreter()}"
    )
    floor = os.environ.get("COMMERCE_BENCH_MIN_SAGAS_PER_S")
    if floor:
        assert per_second >= float(floor), f"{per_second:.0f} sagas/s is below {floor}"
