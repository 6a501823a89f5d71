"""Live view: the 20,000-chunk stream of the streaming figure with the live view attached, against
the same ``ask()`` without a view (bar: 1.5x); updates bounded by time, not chunks.

Run from the repository root: ``python -m bench.bench_live [--words N] [--repeat K]``.

The view is built as the magics build it (``notebook/asking.py``): a sink (the ipywidgets view, or
the display handle that ``%%alfa`` uses by default in a kernel) driven by one ``Coalescer`` passed
as ``on_event``. The sinks publish to a kernel-like IOPub (``bench/_kernel.py``) that serialises
each message as a kernel does and counts messages and bytes. What is timed is ``ask()`` itself;
the final output, which replaces the view and is rendered with or without one, is not. The
emulator runs in its own process; repetitions alternate with and without the view.

Bounded by time: the same view on streams of 5,000 and 20,000 chunks at full speed, and on two
paced streams of about the same duration whose chunk rates differ eightfold. Bar: what the live
view promises (``notebook/live.py``), on a quiet machine as on a busy one: the first change and the
answer's first words at once, then at most one update per interval; the final output, which
replaces the view, is not an update.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import alfa_notebook as alfa
from alfa_notebook.notebook import sinks
from alfa_notebook.notebook.live import INTERVAL, Coalescer

from ._kernel import IOPUB, kernel_like
from ._util import Figure, RemoteEmulator, emulator_process, interleaved, report
from .bench_stream import QUESTION, WORDS, control

BAR = 1.5
TABLE_ROWS = 20  # AlfaMagics.table_rows' default
SINKS: dict[str, Callable[[], sinks.Sink]] = {
    "widget": lambda: sinks.WidgetSink(QUESTION, table_rows=TABLE_ROWS),
    "display handle": lambda: sinks.HandleSink(QUESTION, table_rows=TABLE_ROWS),
}
# (words, chunk delay): two full-speed streams, then two paced ones of about two seconds.
RATE_RUNS = ((5_000, 0.0), (20_000, 0.0), (250, 0.008), (2_000, 0.001))
IMMEDIATE = 2  # updates published at once: the first change, and the answer's first words


def updates_allowed(seconds: float) -> int:
    """The most updates a stream of ``seconds`` may publish: the immediate ones, then one per
    ``INTERVAL`` (a few parts in a billion spare the float division's rounding)."""
    return IMMEDIATE + math.floor(seconds / INTERVAL + 1e-9)


@dataclass
class ViewRun:
    """What one ask with a live view published."""

    seconds: float
    chunks: int
    updates: int  # Coalescer publications: renders of the view
    messages: int  # IOPub messages they caused
    bytes: int


def ask_with_view(client: alfa.AlfaClient, make_sink: Callable[[], sinks.Sink], runs: list[ViewRun]) -> None:
    """One ask as ``%%alfa`` does it, minus the final output; what it published goes to ``runs``."""
    sink = make_sink()
    live = Coalescer(sink.show)
    before_messages, before_bytes = IOPUB.messages, IOPUB.bytes
    start = time.perf_counter()
    answer = client.ask(QUESTION, on_event=live)
    seconds = time.perf_counter() - start
    live.close()
    chunks = len(answer.text.split())  # the emulator sends a chunk per word
    runs.append(ViewRun(seconds, chunks, live.publications, IOPUB.messages - before_messages,
                        IOPUB.bytes - before_bytes))  # fmt: skip
    _closers.append(lambda: sink.finish(None))  # closes the widgets; nothing to render


_closers: list[Callable[[], object]] = []


def close_views() -> None:
    while _closers:
        _closers.pop()()


def overhead(emu: RemoteEmulator, words: int, repeat: int) -> list[Figure]:
    client = alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=control(words))
    runs: dict[str, list[ViewRun]] = {name: [] for name in SINKS}
    sides: dict[str, Callable[[], object]] = {"no view": lambda: client.ask(QUESTION)}
    for name, make in SINKS.items():
        sides[name] = lambda make=make, out=runs[name]: ask_with_view(client, make, out)
    try:
        timings = interleaved(sides, repeat=repeat, after=close_views)
    finally:
        close_views()
        client.close()
    base = timings["no view"]
    figures = []
    for name in SINKS:
        ours = timings[name]
        measured = runs[name][-repeat:]  # the warm-up run is not counted
        updates = sorted(r.updates for r in measured)[len(measured) // 2]
        messages = sorted(r.messages for r in measured)[len(measured) // 2]
        kib = sorted(r.bytes for r in measured)[len(measured) // 2] / 1024
        ratio = ours.wall_ms / base.wall_ms
        figures.append(
            Figure(
                f"live view, {name} sink vs no view ({words:,} chunks)",
                f"{ours.wall_ms:.0f} / {base.wall_ms:.0f} ms = {ratio:.2f}x  ({updates} updates, {messages} IOPub"
                f" messages, {kib:.0f} KiB)",
                f"bar {BAR}x",
                ratio <= BAR,
            )
        )
    return figures


def rates(emu: RemoteEmulator) -> Figure:
    """Updates per second on streams whose chunk rates differ, with the display-handle sink."""
    parts, ok = [], True
    for words, delay in RATE_RUNS:
        client = alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=control(words, delay))
        runs: list[ViewRun] = []
        try:
            ask_with_view(client, SINKS["display handle"], runs)
        finally:
            close_views()
            client.close()
        run = runs[0]
        ok &= run.updates <= updates_allowed(run.seconds)
        plural = "" if run.updates == 1 else "s"
        rate = run.updates / run.seconds
        parts.append(f"{run.chunks:,} chunks in {run.seconds:.2f} s: {run.updates} update{plural} ({rate:.1f}/s)")
    return Figure(
        "live view, updates bounded by time (handle sink)",
        "; ".join(parts),
        f"<= {IMMEDIATE} + duration/{INTERVAL:g} s",
        ok,
    )


def measure(words: int, repeat: int) -> list[Figure]:
    with kernel_like(), emulator_process() as emu:
        return [*overhead(emu, words, repeat), rates(emu)]


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=WORDS)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args(argv)
    return measure(args.words, args.repeat)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
