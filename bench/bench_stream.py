"""Streaming: ``ask()`` on a 20,000-chunk answer against a minimal httpx-sse loop reading the same
stream from the same emulator (bar: 1.3x), for the blocking and the async client.

Run from the repository root: ``python -m bench.bench_stream [--words N] [--repeat K]``.

The emulator runs in a child process (``alfa-notebook emulator --port 0``), so serving the stream
is not charged to the client measured, and both sides face the same server. Both sides keep one
HTTP client across repetitions, create a thread, open the stream, post the question and read to
the terminal status; ``ask()`` also assembles the Answer (and would fetch artifacts). Repetitions
alternate baseline and ``ask()``; the figure is the ratio of the medians of wall time. The CPU
time of this process (the client's work alone) is shown beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import httpx
from httpx_sse import aconnect_sse, connect_sse

import alfa_notebook as alfa

from ._util import Figure, RemoteEmulator, emulator_process, interleaved, report

BAR = 1.3
WORDS = 20_000
QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


def control(words: int, chunk_delay: float = 0) -> dict[str, str]:
    """The emulator's per-request control header (docs/protocol.md, "Emulator controls")."""
    return {"X-Alfa-Emulator": f"words={words};chunk_delay={chunk_delay:g}"}


def raw_client(emu: RemoteEmulator, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=f"{emu.base_url}/client/v1", headers={"x-api-key": emu.api_key, **headers}, timeout=60)


def raw_async_client(emu: RemoteEmulator, headers: dict[str, str]) -> httpx.AsyncClient:
    auth = {"x-api-key": emu.api_key, **headers}
    return httpx.AsyncClient(base_url=f"{emu.base_url}/client/v1", headers=auth, timeout=60)


def _is_end(event: dict) -> bool:
    return event.get("event_type") in ("task_status", "execution_status") and event.get("status") == "Complete"


def raw_loop(http: httpx.Client) -> int:
    """What a careful user would write by hand: the baseline. Returns the number of chunks."""
    thread_id = http.post("/threads", json={"thread_name": "bench"}).json()["thread_id"]
    chunks = 0
    with connect_sse(http, "GET", f"/threads/stream/{thread_id}") as source:
        http.post(f"/threads/{thread_id}/messages", data={"message": QUESTION}).raise_for_status()
        for sse in source.iter_sse():
            if not sse.data:
                continue
            event = json.loads(sse.data)["event"]
            if event.get("event_type") == "message_chunk":
                chunks += 1
            elif _is_end(event):
                return chunks
    raise RuntimeError("stream ended before Complete")


async def raw_async_loop(http: httpx.AsyncClient) -> int:
    """The same baseline with httpx's async client, to measure the async client against."""
    thread_id = (await http.post("/threads", json={"thread_name": "bench"})).json()["thread_id"]
    chunks = 0
    async with aconnect_sse(http, "GET", f"/threads/stream/{thread_id}") as source:
        (await http.post(f"/threads/{thread_id}/messages", data={"message": QUESTION})).raise_for_status()
        async for sse in source.aiter_sse():
            if not sse.data:
                continue
            event = json.loads(sse.data)["event"]
            if event.get("event_type") == "message_chunk":
                chunks += 1
            elif _is_end(event):
                return chunks
    raise RuntimeError("stream ended before Complete")


def measure(words: int, repeat: int) -> list[Figure]:
    headers = control(words)
    with emulator_process() as emu:
        loop = asyncio.new_event_loop()
        http = raw_client(emu, headers)
        ahttp = raw_async_client(emu, headers)
        client = alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=headers)
        aclient = alfa.AsyncAlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=headers)
        try:
            chunks = raw_loop(http)
            answer = client.ask(QUESTION)
            assert answer.status == "complete" and answer.text, answer
            timings = interleaved(
                {
                    "raw": lambda: raw_loop(http),
                    "ask": lambda: client.ask(QUESTION),
                    "raw_async": lambda: loop.run_until_complete(raw_async_loop(ahttp)),
                    "ask_async": lambda: loop.run_until_complete(aclient.ask(QUESTION)),
                },
                repeat=repeat,
            )
        finally:
            http.close()
            client.close()
            loop.run_until_complete(ahttp.aclose())
            loop.run_until_complete(aclient.aclose())
            loop.close()

    figures = []
    for label, base, ours in (("sync", "raw", "ask"), ("async", "raw_async", "ask_async")):
        b, o = timings[base], timings[ours]
        ratio = o.wall_ms / b.wall_ms
        figures.append(
            Figure(
                f"streaming, {label} ask() vs raw httpx-sse ({chunks:,} chunks)",
                f"{o.wall_ms:.0f} / {b.wall_ms:.0f} ms = {ratio:.2f}x  (client CPU {o.cpu_ms:.0f} / {b.cpu_ms:.0f} ms"
                f" = {o.cpu_ms / b.cpu_ms:.2f}x)",
                f"bar {BAR}x",
                ratio <= BAR,
            )
        )
    return figures


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=WORDS)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    return measure(args.words, args.repeat)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
