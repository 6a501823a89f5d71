"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def median_ms(run: Callable[[], Any], *, repeat: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``run()`` in milliseconds, each try starting from a collected heap."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def peak_mib(run: Callable[[], Any]) -> float:
    """Peak memory traced while ``run()`` executes, in MiB (timed separately: tracing is slow)."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
