"""Time to first update: from the first chunk of the answer arriving to the first update of the
live view published on the kernel's IOPub, in milliseconds and as a share of the whole turn.

Run from the repository root: ``python -m bench.bench_first_update [--repeat K]``.

The first chunk "arrives" when the client decodes the first ``MessageChunk`` from the stream
(``alfa_notebook.wire.channel.decode`` is wrapped to note the time); the update is "published" when
the kernel-like IOPub of ``bench/_kernel.py`` receives its message. The view is built as in
``bench_live``. Two streams: the 20,000-chunk one at full speed, and one paced as the emulator
paces a human-watchable answer (its default 30 ms between chunks).

The figure splits in two: waiting (the Coalescer publishes the first change at once, then at most
once an interval, and the "waiting for Alfa" view was published when the question was sent) and
rendering plus publishing. No requirement sets a bar; the bar shown is the live view's design: the
first chunk is on screen within one interval plus the render (50 ms allowed for it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import alfa_notebook as alfa
from alfa_notebook.notebook.live import INTERVAL, Coalescer
from alfa_notebook.wire import channel
from alfa_notebook.wire.events import MessageChunk

from ._kernel import IOPUB, kernel_like
from ._util import Figure, RemoteEmulator, emulator_process, report
from .bench_live import SINKS
from .bench_stream import QUESTION, WORDS, control

RENDER_ALLOWANCE = 0.050  # seconds
STREAMS = {"full speed": (WORDS, 0.0), "paced 30 ms": (None, 0.03)}  # words (None: as answered), delay


@dataclass
class Latency:
    first_update: float  # seconds from the first chunk to the first message published after it
    waiting: float  # of which before the view's show() began
    turn: float  # the whole ask()


@contextmanager
def first_chunk_clock() -> Iterator[dict[str, float]]:
    """Note when the first non-empty chunk of an answer is decoded (reset ``marks`` per ask)."""
    marks: dict[str, float] = {}
    decode = channel.decode

    def noting(sse_event: str, data: str) -> object:
        event = decode(sse_event, data)
        if "chunk" not in marks and type(event) is MessageChunk and event.text:
            marks["chunk"] = time.perf_counter()
        return event

    channel.decode = noting  # type: ignore[assignment]
    try:
        yield marks
    finally:
        channel.decode = decode


def one(client: alfa.AlfaClient, make_sink: Callable[[], object], marks: dict[str, float]) -> Latency:
    sink = make_sink()
    shows: list[float] = []

    def show(turn: object) -> None:
        shows.append(time.perf_counter())
        sink.show(turn)  # type: ignore[attr-defined]

    live = Coalescer(show)
    marks.clear()
    IOPUB.reset()
    start = time.perf_counter()
    client.ask(QUESTION, on_event=live)
    turn = time.perf_counter() - start
    live.close()
    sink.finish(None)  # type: ignore[attr-defined]
    chunk = marks["chunk"]
    published = next(t for t in IOPUB.times if t >= chunk)
    began = next(t for t in shows if t >= chunk)
    return Latency(published - chunk, began - chunk, turn)


def measure(repeat: int, paced_repeat: int) -> list[Figure]:
    figures = []
    with kernel_like(), emulator_process() as emu, first_chunk_clock() as marks:
        for stream, (words, delay) in STREAMS.items():
            client = _client(emu, words, delay)
            try:
                if delay == 0:
                    one(client, SINKS["display handle"], marks)  # warm-up, which also serves the paced runs
                results: dict[str, list[Latency]] = {name: [] for name in SINKS}
                for _ in range(repeat if delay == 0 else paced_repeat):
                    for name, make in SINKS.items():  # interleaved
                        results[name].append(one(client, make, marks))
            finally:
                client.close()
            for name, runs in results.items():
                ms = statistics.median(r.first_update for r in runs) * 1000
                wait = statistics.median(r.waiting for r in runs) * 1000
                share = statistics.median(r.first_update / r.turn for r in runs)
                turn = statistics.median(r.turn for r in runs) * 1000
                bar = (INTERVAL + RENDER_ALLOWANCE) * 1000
                figures.append(
                    Figure(
                        f"time to first update, {name} sink, {stream}",
                        f"{ms:.1f} ms = {share:.1%} of a {turn:,.0f} ms turn  (waiting {wait:.1f} ms, rendering and"
                        f" publishing {ms - wait:.1f} ms)",
                        f"<= {bar:.0f} ms",
                        ms <= bar,
                    )
                )
    return figures


def _client(emu: RemoteEmulator, words: int | None, delay: float) -> alfa.AlfaClient:
    headers = control(words, delay) if words else {"X-Alfa-Emulator": f"chunk_delay={delay:g}"}
    return alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=headers)


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="repetitions of the full-speed stream, per sink")
    parser.add_argument("--paced-repeat", type=int, default=3, help="repetitions of the paced stream, per sink")
    args = parser.parse_args(argv)
    return measure(args.repeat, args.paced_repeat)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
