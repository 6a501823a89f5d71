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
3. **Below the configured limit.** 90 questions at concurrency 200 against an account admitting 30
   messages in any 10 s, while the client keeps the documented 1,000 a minute: it must learn the
   pace from the 429s. Blocking and async clients, each against a fresh emulator. The floor is
   the earliest the account admits the last message: it admits 30 at once, then 3 a second, so
   (90 - 30) / 3 = 20 s (stricter than 90 / 3 = 30 s). Bars: no failed item, wall time at most
   1.5x the floor. Then 60 questions (async) against 5 in any second, the issue's harder case:
   each 429 asks for a whole second (``Retry-After`` is whole seconds), a whole window; its time
   is reported, its failed items barred.
4. **Two processes, one account.** Two processes of one account, 120 questions each at
   concurrency 40, against the same 30-in-10-s limit: neither knows of the other. The floor is
   (240 - 30) / 3 = 70 s, from the first batch's start to the last one's end. Bars: no failed
   item in either, wall time at most 1.6x the floor.

The emulator runs in its own process; answers stream with no delay between chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from typing import Any

import httpx

import alfa_notebook as alfa

from ._util import Figure, emulator_process, report

QUESTION = "INTC"
RATE = 600  # chat requests a minute
FLOOR_BAR = 1.1
THROTTLED_BAR = 0.02
LOWER = (30, 10.0)  # the account's limit in sections 3 and 4: 30 messages in any 10 s
PER_SECOND = (5, 1.0)  # section 3's other limit: 5 in any second, each 429 a whole window's wait
LOWER_BAR = 1.5
SHARED_BAR = 1.6


def _count_responses(client: alfa.AsyncAlfaClient, statuses: list[int]) -> None:
    async def hook(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    for http in (client._channel.http, client._channel.streams):
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


def _floor(items: int, limit: tuple[int, float] = LOWER) -> float:
    """The earliest the account's limit admits the last of ``items`` messages: a whole window's
    worth at once, then the rest at its rate."""
    requests, window = limit
    return max(items - requests, 0) / (requests / window)


def _spec(limit: tuple[int, float]) -> str:
    return f"chat={limit[0]}/{limit[1]:g}s"


def _blocking_or_async(
    base_url: str, api_key: str, n: int, blocking: bool, concurrency: int, limit: tuple[int, float] = LOWER
) -> tuple[alfa.Batch, float, float, int]:
    """A batch of ``n`` at the documented limits: the batch, its start and end (``time.time()``,
    comparable across processes), and the 429s its client met."""
    kw: dict[str, Any] = {
        "api_key": api_key,
        "base_url": base_url,
        "headers": {"X-Alfa-Emulator": f"rate_limit={_spec(limit)}"},
    }
    if blocking:
        with alfa.AlfaClient(**kw) as client:
            start = time.time()
            batch = client.ask_many([QUESTION] * n, concurrency=concurrency, progress=False)
            return batch, start, time.time(), client.limiter.throttled

    async def main() -> tuple[alfa.Batch, float, float, int]:
        async with alfa.AsyncAlfaClient(**kw) as client:
            start = time.time()
            batch = await client.ask_many([QUESTION] * n, concurrency=concurrency, progress=False)
            return batch, start, time.time(), client.limiter.throttled

    return asyncio.run(main())


def measure_lower(items: int) -> list[Figure]:
    figures = []
    runs = [(True, LOWER, items, True), (False, LOWER, items, True), (False, PER_SECOND, 60, False)]
    for blocking, limit, n, barred in runs:
        kind = "blocking" if blocking else "async"
        floor = _floor(n, limit)
        with emulator_process() as emu:  # a fresh account: its window holds nothing of the last run
            asyncio.run(_batch(emu, 5, 5, None, "off"))  # warm-up: imports, connections
            batch, start, end, throttled = _blocking_or_async(emu.base_url, emu.api_key, n, blocking, 200, limit)
        seconds, failed = end - start, len(batch.failed)
        name = f"batch below the configured limit, {kind}: {n} at concurrency 200, {_spec(limit)}"
        figures += [
            Figure(
                f"{name} (wall, x the floor {floor:.0f} s)",
                f"{seconds:.1f} s = {seconds / floor:.2f}x ({throttled} 429s)",
                f"<= {LOWER_BAR:g}x" if barred else "reported",
                seconds <= LOWER_BAR * floor if barred else None,
            ),
            Figure(f"{name}: failed items", f"{failed}", "0", failed == 0),
        ]
    return figures


def measure_shared(items: int) -> list[Figure]:
    floor = _floor(2 * items)
    with emulator_process() as emu:
        asyncio.run(_batch(emu, 5, 5, None, "off"))  # warm-up: the emulator's imports
        command = [sys.executable, "-m", "bench.bench_batch", "--worker", emu.base_url, emu.api_key, str(items)]
        workers = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        results = [json.loads(worker.communicate()[0].splitlines()[-1]) for worker in workers]
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    failed = sum(r["failed"] for r in results)
    name = f"two processes of one account, {items} each at {_spec(LOWER)}"
    return [
        Figure(
            f"{name} (wall, x the floor {floor:.0f} s)",
            f"{seconds:.1f} s = {seconds / floor:.2f}x ({' + '.join(str(r['throttled']) for r in results)} 429s)",
            f"<= {SHARED_BAR:g}x",
            seconds <= SHARED_BAR * floor,
        ),
        Figure(
            f"{name}: failed items", f"{failed} ({' + '.join(str(r['failed']) for r in results)})", "0", failed == 0
        ),
    ]


def _worker(base_url: str, api_key: str, items: int) -> None:
    """One of section 4's processes: its batch, then one JSON line saying how it went."""
    batch, start, end, throttled = _blocking_or_async(base_url, api_key, items, blocking=False, concurrency=40)
    print(json.dumps({"start": start, "end": end, "failed": len(batch.failed), "throttled": throttled}), flush=True)


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--wide", type=int, default=1000)
    parser.add_argument("--lower", type=int, default=90, help="items of section 3 (0: skip it)")
    parser.add_argument("--shared", type=int, default=120, help="items of each process in section 4 (0: skip it)")
    parser.add_argument("--only-limits", action="store_true", help="sections 3 and 4 only")
    args = parser.parse_args(argv)
    figures = [] if args.only_limits else measure(args.items, args.wide)
    if args.lower:
        figures += measure_lower(args.lower)
    if args.shared:
        figures += measure_shared(args.shared)
    return figures


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1], argv[2], int(argv[3]))
        return 0
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
