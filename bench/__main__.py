"""``make bench`` (``python -m bench``): every benchmark in turn, then a summary of every figure
with its bar and PASS or MISS. The exit status is 1 when a bar is missed.

Each script also runs alone, with options: ``python -m bench.bench_stream --help``.
"""

from __future__ import annotations

import os
import sys
import time

from . import (
    bench_batch,
    bench_first_update,
    bench_live,
    bench_replay,
    bench_saved,
    bench_scale,
    bench_startup,
    bench_stream,
    bench_tables,
)
from ._util import Figure, machine, report

BENCHMARKS = {
    "streaming": bench_stream,
    "live view": bench_live,
    "time to first update": bench_first_update,
    "tables": bench_tables,
    "start-up": bench_startup,
    "scale": bench_scale,
    "batch": bench_batch,
    "replay": bench_replay,
    "saved size": bench_saved,
}


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    started = time.perf_counter()
    print(f"machine: {machine()}; load average {_load()}", flush=True)
    figures: list[Figure] = []
    for title, module in BENCHMARKS.items():
        print(f"\n== {title} ({module.__name__})", flush=True)
        section_start = time.perf_counter()
        section = module.run([])
        report(section)
        print(f"   ({time.perf_counter() - section_start:.0f} s)", flush=True)
        figures += section
    print(f"\n== summary ({time.perf_counter() - started:.0f} s; load average now {_load()})")
    status = report(figures)
    barred = [f for f in figures if f.ok is not None]
    missed = [f.name for f in barred if not f.ok]
    print(f"\nMISSED: {'; '.join(missed)}" if missed else f"\nall {len(barred)} figures with a bar are within it")
    return status


if __name__ == "__main__":
    sys.exit(main())
