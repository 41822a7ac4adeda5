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

import os
import time
from collections import Counter
from typing import Any

from commerce_core.ordering.model import OrderStatus
from embedded_shop import CheckoutRun, LoopShop, SagaRun

SAGAS_PER_ROUND = 500
ROUNDS = 20
WARMUP_ROUNDS = 2


def test_checkout_saga_throughput(benchmark: Any, loop_shop: LoopShop) -> None:
    total_sagas = SAGAS_PER_ROUND * (ROUNDS + WARMUP_ROUNDS)
    run = SagaRun(loop_shop, capacity=total_sagas)

    cpu_seconds: list[float] = []
    run_round = loop_shop.timed(lambda: run.sagas(SAGAS_PER_ROUND))

    def timed_round() -> None:
        started = time.process_time()
        run_round()
        cpu_seconds.append(time.process_time() - started)

    benchmark.pedantic(timed_round, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP_ROUNDS)

    _assert_all_confirmed(loop_shop, total_sagas)
    _report(benchmark, "checkout saga", cpu_seconds)


def test_checkout_only_saga_throughput(benchmark: Any, loop_shop: LoopShop) -> None:
    total_sagas = SAGAS_PER_ROUND * (ROUNDS + WARMUP_ROUNDS)
    run = CheckoutRun(loop_shop, capacity=total_sagas, customers=SAGAS_PER_ROUND)

    cpu_seconds: list[float] = []
    fill_carts = loop_shop.timed(lambda: run.fill_carts(SAGAS_PER_ROUND))
    run_round = loop_shop.timed(lambda: run.checkouts(SAGAS_PER_ROUND))

    def timed_round() -> None:
        started = time.process_time()
        run_round()
        cpu_seconds.append(time.process_time() - started)

    # setup runs, untimed, before every round (warm-up rounds too).
    benchmark.pedantic(
        timed_round, setup=fill_carts, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP_ROUNDS
    )

    _assert_all_confirmed(loop_shop, total_sagas)
    _report(benchmark, "checkout only (carts filled untimed)", cpu_seconds)


def _assert_all_confirmed(loop_shop: LoopShop, total_sagas: int) -> None:
    store = loop_shop.container.memory_store()
    statuses = Counter(order.status for order in store.orders.values())
    assert statuses == {OrderStatus.CONFIRMED: total_sagas}
    sent = Counter(m.subject.split()[0] for m in loop_shop.container.notifier().sent)
    assert sent["Order"] == total_sagas  # one confirmation per saga
    assert loop_shop.container.gateway().charged_twice() == []


def _report(benchmark: Any, label: str, cpu_seconds: list[float]) -> None:
    per_second = SAGAS_PER_ROUND / benchmark.stats.stats.mean
    best = SAGAS_PER_ROUND / benchmark.stats.stats.min
    # CPU time of this process only: steadier than wall time on a machine that is busy.
    timed_cpu = cpu_seconds[WARMUP_ROUNDS:]
    per_cpu_second = SAGAS_PER_ROUND * len(timed_cpu) / sum(timed_cpu)
    benchmark.extra_info["sagas_per_round"] = SAGAS_PER_ROUND
    benchmark.extra_info["sagas_per_second_mean"] = round(per_second)
    benchmark.extra_info["sagas_per_second_best"] = round(best)
    benchmark.extra_info["sagas_per_cpu_second"] = round(per_cpu_second)
    print(
        f"\n{label}: {per_second:,.0f} sagas/s (mean), {best:,.0f} sagas/s (best round), "
        f"{per_cpu_second:,.0f} sagas per CPU second"
    )
    floor = os.environ.get("COMMERCE_BENCH_MIN_SAGAS_PER_S")
    if floor:
        assert per_second >= float(floor), f"{per_second:.0f} sagas/s is below {floor}"
