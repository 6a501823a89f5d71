"""Scale: the wall time of 1, 10 and 50 concurrent ``AsyncAlfaClient.ask()`` against the emulator
(the time must grow far slower than the count). Bar: 50 asks take at most 5x one.

Run from the repository root: ``python -m bench.bench_scale [--repeat K] [--chunk-delay S]``.

One client on one event loop asks 1, 10 or 50 questions at once (``asyncio.gather``), each in a
new thread, as a notebook running several background answers would. The answers are paced (3 ms
between chunks, about 160 events each), so one ask alone takes about half a second, mostly spent
waiting: concurrency should overlap the waiting. The emulator runs in its own process, so its
work is not charged to the client. Counts are measured in turn (1 10 50 1 10 50 ...), medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import alfa_notebook as alfa

from ._util import Figure, emulator_process, report
from .bench_stream import QUESTION

BAR = 5.0  # wall time of 50 asks over that of one
COUNTS = (1, 10, 50)


async def concurrent(client: alfa.AsyncAlfaClient, count: int) -> float:
    start = time.perf_counter()
    answers = await asyncio.gather(*(client.ask(QUESTION) for _ in range(count)))
    seconds = time.perf_counter() - start
    assert all(a.status == "complete" and a.text for a in answers), [a.status for a in answers]
    return seconds


def measure(repeat: int, chunk_delay: float) -> list[Figure]:
    headers = {"X-Alfa-Emulator": f"chunk_delay={chunk_delay:g}"}
    with emulator_process() as emu:
        loop = asyncio.new_event_loop()
        client = alfa.AsyncAlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=headers)
        try:
            loop.run_until_complete(concurrent(client, max(COUNTS)))  # warm-up: connections, imports
            times: dict[int, list[float]] = {count: [] for count in COUNTS}
            for _ in range(repeat):
                for count in COUNTS:
                    times[count].append(loop.run_until_complete(concurrent(client, count)))
        finally:
            loop.run_until_complete(client.aclose())
            loop.close()
    ms = {count: statistics.median(t) * 1000 for count, t in times.items()}
    one = ms[COUNTS[0]]
    shown = "  ".join(f"{count}: {ms[count]:,.0f} ms ({ms[count] / one:.2f}x)" for count in COUNTS)
    ratio = ms[max(COUNTS)] / one
    name = "scale, concurrent async asks (wall time, x one ask)"
    return [Figure(name, shown, f"50 asks <= {BAR:g}x one", ratio <= BAR)]


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunk-delay", type=float, default=0.003)
    args = parser.parse_args(argv)
    return measure(args.repeat, args.chunk_delay)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
