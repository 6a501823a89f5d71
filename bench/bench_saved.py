"""Saved size: the bytes a saved notebook keeps for one answer's final output (bar: an answer with
a 100,000-row table saves under 1 MiB).

Run from the repository root: ``python -m bench.bench_saved [--rows N]``.

Measured as nbformat writes an output (``json.dumps(output, indent=1)``, UTF-8), part by part:
HTML, Markdown, text and the answer's JSON, with the ``alfa`` metadata. Two answers: the
quickstart's (asked of the emulator in its own process) and a hand-built one whose only artifact
is a table of ``--rows`` rows and five columns, which shows that the output grows with what is
shown, not with the data.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import alfa_notebook as alfa
from alfa_notebook.render import answer_bundle
from alfa_notebook.wire.models import Artifact

from ._util import Figure, emulator_process, report

QUICKSTART = "Which were the top 5 semiconductor performers over the last twelve months, and why?"
ROWS = 100_000
BAR = 2**20
PARTS = {"text/html": "HTML", "text/markdown": "Markdown", "text/plain": "text"}


def saved_bytes(answer: alfa.Answer) -> tuple[int, dict[str, int]]:
    """The output's size as nbformat saves it, and each part's."""
    data, metadata = answer_bundle(answer)
    output = {"output_type": "display_data", "data": data, "metadata": metadata}
    parts = {label: len(json.dumps(data[mime], indent=1).encode()) for mime, label in PARTS.items() if mime in data}
    parts["JSON"] = len(json.dumps({k: v for k, v in data.items() if k not in PARTS}, indent=1).encode())
    return len(json.dumps(output, indent=1).encode()), parts


def big_table_answer(rows: int) -> alfa.Answer:
    columns = [
        {"name": "Security", "col_type": "stock"},
        {"name": "Date", "col_type": "date"},
        {"name": "Close", "col_type": "currency", "unit": "USD"},
        {"name": "Return", "col_type": "pct_delta"},
        {"name": "Volume", "col_type": "integer"},
    ]
    body = [
        [
            {"symbol": f"S{i % 500:03d}"},
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            100 + i % 97 / 7,
            (i % 41 - 20) / 1000,
            i,
        ]
        for i in range(rows)
    ]
    raw: dict[str, Any] = {"type": "table", "title": "Daily closes", "columns": columns, "rows": body}
    marker = '```{"type": "output_artifact", "artifact_id": "big"}```'
    return alfa.Answer(
        question="All daily closes",
        raw_text=f"Here are the closes.\n\n{marker}\n",
        status="complete",
        thread_id="t",
        message_id="m",
        artifacts=[Artifact.from_raw("big", raw, thread_id="t", message_id="m")],
        elapsed=1.0,
    )


def _parts(parts: dict[str, int]) -> str:
    return ", ".join(f"{label} {size:,}" for label, size in parts.items())


def run(argv: list[str]) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_saved", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows of the hand-built table (default {ROWS:,})")
    args = parser.parse_args(argv)
    with emulator_process() as emu, alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        quickstart = client.ask(QUICKSTART)
    size, parts = saved_bytes(quickstart)
    big, big_parts = saved_bytes(big_table_answer(args.rows))
    return [
        Figure("saved size, the quickstart answer", f"{size:,} B ({_parts(parts)})"),
        Figure(
            f"saved size, an answer with a {args.rows:,}-row table",
            f"{big:,} B = {big / 2**20:.2f} MiB ({_parts(big_parts)})",
            "< 1 MiB",
            big < BAR,
        ),
    ]


if __name__ == "__main__":
    sys.exit(report(run(sys.argv[1:])))
