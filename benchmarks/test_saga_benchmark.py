"""Throughput of the whole checkout saga in the embedded (in-memory) mode.

One saga is what a customer triggers with "add to cart" and "checkout": the order, the
reservation, the charge, the confirmation, the committed stock and the confirmation notice, all
in process before ``handle`` returns. Users and products are created outside the timed part.

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
from embedded_shop import LoopShop, SagaRun

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

    store = loop_shop.container.memory_store()
    statuses = Counter(order.status for order in store.orders.values())
    assert statuses == {OrderStatus.CONFIRMED: total_sagas}
    sent = Counter(m.subject.split()[0] for m in loop_shop.container.notifier().sent)
    assert sent["Order"] == total_sagas  # one confirmation per saga
    assert loop_shop.container.gateway().charged_twice() == []

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
        f"\ncheckout saga: {per_second:,.0f} sagas/s (mean), {best:,.0f} sagas/s (best round), "
        f"{per_cpu_second:,.0f} sagas per CPU second"
    )
    floor = os.environ.get("COMMERCE_BENCH_MIN_SAGAS_PER_S")
    if floor:
        assert per_second >= float(floor), f"{per_second:.0f} sagas/s is below {floor}"
