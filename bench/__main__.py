"""``make bench``: every benchmark in turn; the exit status says whether all met their bars."""

from __future__ import annotations

import sys

from . import bench_stream, bench_tables

BENCHMARKS = [bench_stream.main, bench_tables.main]


def main() -> int:
    return max(run([]) for run in BENCHMARKS)


if __name__ == "__main__":
    sys.exit(main())
