"""Instructions per checkout saga, counted by valgrind's callgrind: a figure that, unlike
sagas per second, does not move with the machine's speed or load.

    python benchmarks/saga_instructions.py                  # the whole saga (add to cart, checkout)
    python benchmarks/saga_instructions.py --checkout-only  # checkout to CONFIRMED with its notice

Both need valgrind (apt-get install valgrind) and take minutes: callgrind runs Python about 50
times slower. ``--long`` and ``--short`` change the two saga counts (try small ones first).

The whole saga: it runs the saga of ``test_saga_benchmark`` twice under callgrind, after the same
warm-up, for LONG and SHORT sagas, and divides the difference of the two totals by LONG - SHORT:
start-up and set-up cancel out.

Checkout only: the carts must be filled before the checkouts, and callgrind counts the whole
process (switching collection on and off around Python code is not practical), so the cart
filling has to cancel out in the difference like the rest of the set-up. Both runs therefore do
the very same work up to the counted part: register LONG customers, warm up (fill WARMUP carts,
check them out), then fill LONG carts. The long run then checks out all LONG carts, the short run
only SHORT of them. The two runs differ only by LONG - SHORT checkouts, and the first SHORT
checkouts of both find the same state, so the difference divided by LONG - SHORT is the cost of
a checkout alone, cart filling excluded exactly rather than estimated by a third and fourth run.
(The short run ends with LONG - SHORT carts still full and frees them at exit; that is a few
hundred instructions a cart against a million and more a checkout.)

String hashes and message ids are seeded. The cyclic garbage collector is off for the sagas
counted (``_collector_off``): where its full collections fall depends on every allocation before
them, so with it on, two snapshots of the same code differed by up to 1%, as much as the changes
being measured; with it off they agree to within about 0.3%. Its share of the time (a tenth to
a quarter by interpreter, in memory mode, which keeps every saga) is what ``test_saga_benchmark``
prints.
Instructions are user-space only: time in system calls is not counted.
``python benchmarks/saga_instructions.py run N`` and ``... run-checkouts N CARTS`` are the
programs that callgrind runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from embedded_shop import CheckoutRun, SagaRun, loop_shop_open

WARMUP = 200
LONG, SHORT = 1000, 500


def run(count: int) -> None:
    random.seed(0)  # message ids, hence the dictionaries they key, the same on every run
    with loop_shop_open() as loop_shop:
        sagas = SagaRun(loop_shop, capacity=WARMUP + count)
        loop_shop.run(sagas.sagas(WARMUP))
        with _collector_off():
            loop_shop.run(sagas.sagas(count))


def run_checkouts(count: int, carts: int) -> None:
    """Fill ``carts`` carts, check ``count`` of them out; everything before the last checkouts
    is the same for any ``count``."""
    random.seed(0)
    with loop_shop_open() as loop_shop:
        checkouts = CheckoutRun(loop_shop, capacity=WARMUP + carts, customers=max(WARMUP, carts))
        loop_shop.run(checkouts.fill_carts(WARMUP))
        loop_shop.run(checkouts.checkouts(WARMUP))
        loop_shop.run(checkouts.fill_carts(carts))
        with _collector_off():
            loop_shop.run(checkouts.checkouts(count))


@contextmanager
def _collector_off() -> Iterator[None]:
    gc.collect()  # the same heap, collected, before the counted part of every run
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def instructions(program: list[str], workdir: Path) -> int:
    name = "-".join(program)
    log = workdir / f"callgrind.{name}.log"
    subprocess.run(
        [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/callgrind.{name}",
            f"--log-file={log}", sys.executable, __file__, *program,
        ],
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # string hashes too
    )
    collected = re.search(r"Collected : (\d+)", log.read_text())
    if collected is None:
        raise SystemExit(f"callgrind printed no total; see {log}")
    return int(collected.group(1))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        run(int(sys.argv[2]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "run-checkouts":
        run_checkouts(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkout-only", action="store_true",
        help="count checkout to CONFIRMED with its notice, carts filled outside the count",
    )
    parser.add_argument("--long", type=int, default=LONG, help=f"sagas of the long run ({LONG})")
    parser.add_argument(
        "--short", type=int, default=SHORT, help=f"sagas of the short run ({SHORT})"
    )
    args = parser.parse_args()
    if not 0 <= args.short < args.long:
        parser.error("need 0 <= --short < --long")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    if args.checkout_only:
        programs = [["run-checkouts", str(n), str(args.long)] for n in (args.long, args.short)]
        what = "checkout (carts filled outside the count)"
    else:
        programs = [["run", str(n)] for n in (args.long, args.short)]
        what = "saga"
    with tempfile.TemporaryDirectory() as workdir:
        long, short = (instructions(program, Path(workdir)) for program in programs)
    print(f"{(long - short) / (args.long - args.short):,.0f} instructions per {what}")


if __name__ == "__main__":
    main()
