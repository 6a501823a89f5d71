"""Table conversion against ``pandas.DataFrame(rows, columns=names)`` (bar: at most 1.5x).

Run from the repository root: ``python -m bench.bench_tables [--rows N] [--repeat K]``.
The artifact is deterministic: 100,000 rows of ten mixed col_types, about 5 % nulls per column.
Repetitions alternate baseline and ours, after one warm-up each; the figure is the ratio of the
medians. The default dtype backend is the figure held to the bar; the pyarrow and numpy backends
are reported beside it. Peak memory is measured apart, under ``tracemalloc`` (which slows what it
traces).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from typing import Any

import pandas as pd

from alfa_notebook.results.frames import table_to_dataframe

from ._util import Figure, interleaved, peak_mib, report

BAR = 1.5
NULL_SHARE = 0.05
SCHEMA: list[dict[str, Any]] = [
    {"name": "Security", "col_type": "stock", "is_highlighted": True},
    {"name": "CUSIP", "col_type": "string"},
    {"name": "Price", "col_type": "currency", "unit": "USD"},
    {"name": "Weight", "col_type": "percent"},
    {"name": "Return 1D", "col_type": "pct_delta"},
    {"name": "As of", "col_type": "date"},
    {"name": "Updated", "col_type": "datetime"},
    {"name": "Fiscal quarter", "col_type": "quarter"},
    {"name": "Shares", "col_type": "integer"},
    {"name": "Score", "col_type": "score"},
]


def _stocks(count: int) -> list[dict[str, Any]]:
    return [
        {
            "gbi_id": i,
            "symbol": f"T{i:04d}",
            "company_name": f"Company {i}",
            "isin": f"US{i:09d}0",
            "sector": "Information Technology",
            "subindustry": "Semiconductors",
            "exchange": "NASDAQ",
            "security_type": "Common Stock",
        }
        for i in range(count)
    ]


def make_artifact(n_rows: int = 100_000, *, seed: int = 7) -> dict[str, Any]:
    """A table artifact shaped as the service sends tables (docs/protocol.md, Artifacts), the same
    for the same arguments."""
    rng = random.Random(seed)
    stocks = _stocks(2_000)
    epoch = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    day_one = dt.date(2020, 1, 1)
    makers = [
        lambda: rng.choice(stocks),
        lambda: f"{rng.randrange(10**9):09d}",
        lambda: round(rng.uniform(1, 1_000), 2),
        lambda: rng.random(),
        lambda: rng.uniform(-0.1, 0.1),
        lambda: (day_one + dt.timedelta(days=rng.randrange(1_500))).isoformat(),
        lambda: (epoch + dt.timedelta(seconds=rng.randrange(10**8))).isoformat(),
        lambda: f"{rng.randrange(2015, 2026)}Q{rng.randrange(1, 5)}",
        lambda: rng.randrange(10**7),
        lambda: {"val": rng.random(), "source": None, "sub_scores": []},
    ]
    rows = [[None if rng.random() < NULL_SHARE else make() for make in makers] for _ in range(n_rows)]
    return {"output_type": "table", "title": "Benchmark", "columns": SCHEMA, "rows": rows,
            "citations": []}  # fmt: skip


def arrow_mib(make: Any) -> float:
    """MiB the result of ``make()`` holds in Arrow's memory pool, which tracemalloc does not see
    (Arrow-backed columns: text under every backend on pandas 3, every column under pyarrow)."""
    import pyarrow as pa

    before = pa.total_allocated_bytes()
    result = make()
    held = pa.total_allocated_bytes() - before
    del result
    return held / 2**20


def measure(n_rows: int, repeat: int) -> list[Figure]:
    artifact = make_artifact(n_rows)
    rows, names = artifact["rows"], [column["name"] for column in artifact["columns"]]

    def baseline() -> pd.DataFrame:
        return pd.DataFrame(rows, columns=names)

    def ours() -> pd.DataFrame:
        return table_to_dataframe(artifact)

    def arrow() -> pd.DataFrame:
        return table_to_dataframe(artifact, dtype_backend="pyarrow")

    def plain() -> pd.DataFrame:
        return table_to_dataframe(artifact, dtype_backend="numpy")

    sides = {"baseline": baseline, "ours": ours, "pyarrow": arrow, "numpy": plain}
    timings = interleaved(sides, repeat=repeat)
    base_ms, base_cpu = timings["baseline"].wall_ms, timings["baseline"].cpu_ms
    base_mib, base_arrow = peak_mib(baseline), arrow_mib(baseline)
    shape = f"{n_rows // 1000}k x {len(names)}"
    figures = []
    for side, name in (("ours", "numpy_nullable"), ("pyarrow", "pyarrow"), ("numpy", "numpy")):
        ms, cpu, mib, arrow = timings[side].wall_ms, timings[side].cpu_ms, peak_mib(sides[side]), arrow_mib(sides[side])
        held = side == "ours"
        figures += [
            Figure(f"tables, {shape} to typed DataFrame ({name}) vs pandas.DataFrame(rows)",
                   f"{ms:.1f} / {base_ms:.1f} ms = {ms / base_ms:.2f}x (CPU {cpu / base_cpu:.2f}x)",
                   f"bar {BAR:g}x" if held else "reported", ms / base_ms <= BAR if held else None),
            Figure(f"tables, {shape} peak memory ({name}, tracemalloc)",
                   f"{mib:.1f} / {base_mib:.1f} MiB = {mib / base_mib:.2f}x; "
                   f"held in Arrow's pool {arrow:.1f} / {base_arrow:.1f} MiB", "reported"),
        ]  # fmt: skip
    return figures


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    return measure(args.rows, args.repeat)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
