"""Batch: ``ask_many`` at a rate limit, and wide.

Run from the repository root: ``python -m bench.bench_batch [--items N] [--wide N]``.

1. **At the limit.** 300 questions against the emulator limited to 600 chat requests a minute
   (``rate_limit=chat=600/min``, a sliding window), the client told the same limit. The floor is
   the time the limit needs to admit 300 messages at its rate, 300 / (600 / 60 s) = 30 s. The
   client's limiter lets one second's worth go at once (10) and paces the rest so that no window
   of 60 s sees more than 600, so it can end just under that floor. Bars: wall time at most 1.1x
   the floor, no failed item, 429s at most 2 % of the requests.
2. **Wide.** 1,000 questions at concurrency 200, no limit on either side: wall time, the client
   process's peak resident memory, and no failed item.

The emulator runs in its own process; answers stream with no delay between chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time

import httpx

import alfa_notebook as alfa

from ._util import Figure, emulator_process, report

QUESTION = "INTC"
RATE = 600  # chat requests a minute
FLOOR_BAR = 1.1
THROTTLED_BAR = 0.02


def _count_responses(client: alfa.AsyncAlfaClient, statuses: list[int]) -> None:
    async def hook(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    for http in (client._transport.http, client._transport.streams):
        http.event_hooks["response"].append(hook)


async def _batch(emu, n: int, concurrency: int, controls: str | None, rate_limit: str) -> tuple[alfa.Batch, list[int]]:
    headers = {"X-Alfa-Emulator": controls} if controls else None
    statuses: list[int] = []
    async with alfa.AsyncAlfaClient(
        api_key=emu.api_key, base_url=emu.base_url, headers=headers, rate_limit=rate_limit
    ) as client:
        _count_responses(client, statuses)
        batch = await client.ask_many([QUESTION] * n, concurrency=concurrency, progress=False)
    return batch, statuses


def measure(items: int, wide: int) -> list[Figure]:
    figures = []
    with emulator_process() as emu:
        asyncio.run(_batch(emu, 5, 5, None, "off"))  # warm-up: imports, connections
        start = time.perf_counter()
        batch, statuses = asyncio.run(_batch(emu, items, 32, f"rate_limit=chat={RATE}/min", f"chat={RATE}/min"))
        seconds = time.perf_counter() - start
        floor = items / (RATE / 60)
        failed = len(batch.failed)
        throttled = statuses.count(429) / len(statuses)
        figures += [
            Figure(
                f"batch, {items} questions at {RATE}/min (wall time, x the floor {floor:.0f} s)",
                f"{seconds:.1f} s = {seconds / floor:.3f}x",
                f"<= {FLOOR_BAR:g}x",
                seconds <= FLOOR_BAR * floor,
            ),
            Figure(f"batch, {items} questions at {RATE}/min: failed items", f"{failed}", "0", failed == 0),
            Figure(
                f"batch, {items} questions at {RATE}/min: 429s of all requests",
                f"{statuses.count(429)} of {len(statuses)} ({throttled:.1%})",
                f"<= {THROTTLED_BAR:.0%}",
                throttled <= THROTTLED_BAR,
            ),
        ]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        batch, statuses = asyncio.run(_batch(emu, wide, 200, None, "off"))
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        failed = len(batch.failed)
        figures += [
            Figure(
                f"batch, {wide} questions at concurrency 200, no limit (wall time)",
                f"{seconds:.1f} s ({wide / seconds:.0f} answers/s); peak RSS {rss:.0f} MiB (was {rss_before:.0f})",
            ),
            Figure(f"batch, {wide} questions at concurrency 200: failed items", f"{failed}", "0", failed == 0),
        ]
    return figures


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--wide", type=int, default=1000)
    args = parser.parse_args(argv)
    return measure(args.items, args.wide)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
