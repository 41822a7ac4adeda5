"""Instructions per checkout saga, counted by valgrind's callgrind: a figure that, unlike
sagas per second, does not move with the machine's speed or load.

    python benchmarks/saga_instructions.py            # needs valgrind (apt-get install valgrind)

It runs the saga of ``test_saga_benchmark`` twice under callgrind, after the same warm-up, for
LONG and SHORT sagas, and divides the difference of the two totals by LONG - SHORT: start-up and
set-up cancel out. String hashes and message ids are seeded, so two runs of the same code
agree to within 0.1%. Instructions are user-space only: time in system calls is not counted.
``python benchmarks/saga_instructions.py run N`` is the program that callgrind runs.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from embedded_shop import SagaRun, loop_shop_open

WARMUP = 200
LONG, SHORT = 1000, 500


def run(count: int) -> None:
    random.seed(0)  # message ids, hence the dictionaries they key, the same on every run
    with loop_shop_open() as loop_shop:
        sagas = SagaRun(loop_shop, capacity=WARMUP + count)
        loop_shop.run(sagas.sagas(WARMUP))
        loop_shop.run(sagas.sagas(count))


def instructions(count: int, workdir: Path) -> int:
    log = workdir / f"callgrind.{count}.log"
    subprocess.run(
        [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/callgrind.{count}",
            f"--log-file={log}", sys.executable, __file__, "run", str(count),
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
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as workdir:
        long, short = instructions(LONG, Path(workdir)), instructions(SHORT, Path(workdir))
    print(f"{(long - short) / (LONG - SHORT):,.0f} instructions per saga")


if __name__ == "__main__":
    main()
